import ArgumentParser
import Foundation
import OutpostBlobs
import OutpostCore
import OutpostProtocol
import OutpostStore
import OutpostSync

struct FilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Keep files on the node, chunked and deduplicated, synced by priority through the hub.",
        discussion: """
            Files are cut into content-defined chunks (about 16 KiB), each kept once under its SHA-256 in \
            HOME/files, compressed when that saves 10%, and encrypted at rest once `outpost files key \
            --create` made a key. The index is the synced table `files`; `outpost sync` uploads only the \
            chunks the hub lacks and downloads only those this node lacks.

            Example:
              outpost files put ./model.onnx --as models/vision.onnx --priority 8
              outpost files ls
              outpost files get models/vision.onnx -o /tmp/vision.onnx
              outpost files rm models/vision.onnx
              outpost files restore models/vision.onnx
              outpost files budget 20g && outpost files pin models/vision.onnx

            With a budget (`outpost files budget`), content beyond it is evicted, least recently \
            used first, once the hub holds it; `files get` fetches it again. See docs/files.md.
            """,
        subcommands: [
            FilesPut.self, FilesGet.self, FilesList.self, FilesRemove.self, FilesRestore.self,
            FilesGarbageCollect.self, FilesStatistics.self, FilesKey.self, FilesFetch.self, FilesPin.self,
            FilesUnpin.self, FilesBudget.self, FilesSkip.self,
        ]
    )
}

/// `--max-size` and `--chunk-size`, for commands that open the file store.
struct FileStoreOptions: ParsableArguments {
    @Option(name: .customLong("max-size"), help: "Largest file to accept (e.g. 100m, 2g). Defaults to 100 MB.")
    var maximumSize: ByteCount?

    @Option(
        name: .customLong("chunk-size"),
        help: "Average chunk size, a power of two from 256 to 128k. Defaults to 16k; keep it the same on every node."
    )
    var averageChunkSize: ByteCount?

    func open(_ node: NodeOptions) throws(OutpostError) -> FileStore {
        var configuration = FileStoreConfiguration()
        if let maximumSize { configuration.maximumFileSize = Int(maximumSize.bytes) }
        if let averageChunkSize { configuration.averageChunkSize = Int(averageChunkSize.bytes) }
        return try FileStore(store: node.openStore(), home: node.homePath, configuration: configuration)
    }
}

struct FilesPut: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Store a file (replacing what the name held).",
        discussion: """
            The name is a relative path (no leading /, no . or .. segments); it defaults to the file's own name.

            Example:
              outpost files put ./day-1.csv --as reports/day-1.csv --priority 3
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The file to store.", completion: .file()) var path: String
    @Option(name: .customLong("as"), help: "The name to store it under.") var name: String?
    @Option(help: "Sync priority, 1 (background) … 10 (critical).") var priority = 5
    @OptionGroup var store: FileStoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let files = try store.open(node)
        let stored = try files.put(
            contentsOf: path,
            as: name ?? URL(fileURLWithPath: path).lastPathComponent,
            priority: priority
        )
        _ = try files.enforceBudget()
        if output.json {
            Output.json(stored)
        } else {
            print(
                "Stored \(stored.name) (\(stored.size) bytes, sha256 \(stored.hash.prefix(12))…, priority \(stored.priority))"
            )
        }
    }
}

struct FilesGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Write a stored file out, checked against its hash; fetch it first if it is on the hub only.",
        discussion: """
            Content the cache budget evicted, or the fetch policy skipped, is fetched from the hub \
            first (resuming from the chunks already here) when the node has a hub.

            Example:
              outpost files get reports/day-1.csv -o /tmp/day-1.csv
              outpost files get reports/day-1.csv -o - | head
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The stored file's name.") var name: String
    @Option(name: .shortAndLong, help: "Where to write it (- for standard output). Defaults to its base name here.")
    var output: String?

    func run() async throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        let target = output ?? String(name.split(separator: "/").last ?? Substring(name))
        if let file = try files.file(named: name), file.content != "local", file.trashedAt == nil,
            try RemoteConfiguration.load(home: node.homePath) != nil
        {
            try await FilesFetch.fetch(name, node: node)
        }
        let file = try files.get(name, to: target)
        if target != "-" { print("Wrote \(target) (\(file.size) bytes)") }
    }
}

struct FilesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List stored files.",
        discussion: """
            Example:
              outpost files ls
              outpost files ls --trash --json
            """
    )

    @OptionGroup var node: NodeOptions
    @Flag(help: "Include files in the trash.") var trash = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        let list = try files.list(includingTrash: trash)
        if output.json {
            Output.json(list)
            return
        }
        Output.table(
            headers: ["NAME", "SIZE", "PRIORITY", "SYNC", "CONTENT", "SHA256", "TRASHED"],
            rows: list.map { file in
                [
                    FileName.printable(file.name), "\(file.size)", "\(file.priority)", file.syncStatus, file.content,
                    String(file.hash.prefix(12)), file.trashedAt == nil ? "" : "yes",
                ]
            }
        )
    }
}

struct FilesRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Move a file to the trash (restorable until `outpost files gc` empties it).",
        discussion: """
            Example:
              outpost files rm reports/day-1.csv
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The stored file's name.") var name: String

    func run() throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        try files.remove(name)
        print("Moved \(name) to the trash; `outpost files restore \(name)` brings it back.")
    }
}

struct FilesRestore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Take a file out of the trash.",
        discussion: """
            Example:
              outpost files restore reports/day-1.csv
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The trashed file's name.") var name: String

    func run() throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        try files.restore(name)
        print("Restored \(name)")
    }
}

struct FilesGarbageCollect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Retention: delete files trashed more than DAYS ago, then chunks no file uses.",
        discussion: """
            Chunks written in the last 10 minutes are kept (a put or a sync may be writing them).

            Example:
              outpost files gc --older-than 7
              outpost files gc --older-than 0 --json   # empty the whole trash
            """
    )

    @OptionGroup var node: NodeOptions
    @Option(name: .customLong("older-than"), help: "Days a file must have been in the trash. Defaults to 30.")
    var days = 30
    @OptionGroup var output: OutputOptions

    func run() throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        let report = try files.collectGarbage(trashOlderThanDays: days)
        if output.json {
            Output.json(report)
        } else {
            print(
                "Deleted \(report.filesDeleted) trashed file(s) and \(report.chunksDeleted) unused chunk(s), "
                    + "freeing \(report.bytesFreed) bytes (unused chunks written in the last 10 minutes are kept: "
                    + "a put or a sync may still be writing them)"
            )
        }
    }
}

struct FilesStatistics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "What the file store holds: files by state, chunks, bytes on disk, deduplication.",
        discussion: """
            Example:
              outpost files stats --json
            """
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        let statistics = try files.statistics()
        if output.json {
            Output.json(statistics)
            return
        }
        Output.fields([
            ("Files", "\(statistics.totalFiles) (\(statistics.totalSize) bytes)"),
            ("Synced", "\(statistics.syncedFiles)"),
            ("Pending", "\(statistics.pendingFiles)"),
            ("Content to fetch", "\(statistics.missingFiles)"),
            ("In the trash", "\(statistics.trashedFiles)"),
            ("On the hub only", "\(statistics.remoteFiles) (evicted or skipped; `files get` fetches them)"),
            ("Pinned", "\(statistics.pinnedFiles)"),
            ("Budget", statistics.budgetBytes.map { "\($0) bytes of chunks on disk" } ?? "none (everything is kept)"),
            ("Compressed", "\(statistics.compressedFiles)"),
            ("Encrypted", "\(statistics.encryptedFiles)"),
            ("Chunks", "\(statistics.chunks) (\(statistics.chunkBytes) bytes, \(statistics.storedBytes) on disk)"),
            ("Deduplication", String(format: "%.2fx", statistics.deduplicationRatio)),
        ])
    }
}

struct FilesKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Encryption at rest: show whether the node has a key, or make one.",
        discussion: """
            With a key (HOME/files.key, mode 0600), chunks written from then on are sealed with AES-GCM on disk. \
            The hub never sees the key: chunks travel decrypted over the (TLS) link. Back the key up: \
            chunks encrypted with it cannot be read without it.

            Example:
              outpost files key --create
            """
    )

    @OptionGroup var node: NodeOptions
    @Flag(help: "Make a key if there is none.") var create = false

    func run() throws {
        _ = try node.openStore()
        let path = FileStoreKey.path(home: node.homePath)
        if create {
            let made = try FileStoreKey.create(home: node.homePath)
            print(made ? "Made \(path); new chunks are encrypted at rest. Back it up." : "\(path) exists already.")
        } else {
            print(
                try FileStoreKey.load(home: node.homePath) == nil
                    ? "No key: files are not encrypted at rest." : "Key: \(path)"
            )
        }
    }
}
