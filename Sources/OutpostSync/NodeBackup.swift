public import Foundation
import OutpostBlobs
public import OutpostCore
import OutpostStore
import OutpostSystem

/// A node's whole state in one file, and back again: `outpost backup` and `outpost restore`.
///
/// The file is a tar archive (readable with `tar -tvf`) holding a manifest, a snapshot of the
/// store taken through SQLite's online backup (consistent while `outpost run` keeps writing),
/// the file chunks, the workspace, the remote (with the node's token: the archive is readable
/// by its owner only) and the rules. Run locks, temporary files and SQLite's side files are
/// left out: they mean nothing on another day.
///
/// A restore never writes into a node that exists: it unpacks into a folder beside the home,
/// checks every name and the store, and only then moves the folder into place, so a refused
/// or interrupted restore leaves nothing behind. The restored node fetches every tracked
/// table again at its next sync (``Store/prepareRestored(backupTakenAt:)``).
public enum NodeBackup {
    /// What went into a backup.
    public struct Report: Sendable {
        public var path: String
        public var bytes: Int64
        public var nodeID: String
        public var takenAt: String
        public var members: [String]
        /// What `tar` reported without failing (a workspace file changed while it was read).
        public var warnings: [String]
    }

    /// What a restore put back.
    public struct RestoreReport: Sendable {
        public var home: String
        public var nodeID: String
        public var takenAt: String
        /// Tracked tables the next sync fetches again.
        public var refetched: [String]
    }

    /// The manifest's name inside the archive.
    static let manifestName = "outpost-backup.json"
    /// The archive format this build writes and reads.
    static let format = 1
    /// What an archive may hold at its top level; anything else is refused on restore.
    static let allowedMembers: Set<String> = [
        manifestName, "store.sqlite", "files", "workspace", "remote.json", "remote.token", "rules.json",
    ]
    /// Parts of a home that go into a backup when present (the store goes as a snapshot).
    static let homeMembers = ["files/chunks", "files/packs", "workspace", "remote.json", "remote.token", "rules.json"]

    /// Writes the node at `home` to a new archive at `target`.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` for a missing node, `.alreadyExists`
    ///   when `target` exists, `.storage` when the archive cannot be written (nothing is left
    ///   at `target` then).
    public static func create(home: NodeHome, to target: String) throws(OutpostError) -> Report {
        try home.requireExisting()
        let target = URL(fileURLWithPath: target).standardizedFileURL.path
        guard !FileManager.default.fileExists(atPath: target) else {
            throw OutpostError(
                .alreadyExists,
                "\(target) exists; a backup never overwrites a file. Choose another name or move it away.",
                details: ["path": target]
            )
        }
        let store = try home.openStore()
        // Collection and eviction wait until the archive is written: the snapshot's rows point
        // into packs that they could otherwise rewrite or remove before tar reads them.
        let chunkUse =
            FileManager.default.fileExists(atPath: home.path + "/files/packs")
            ? try ChunkStore(directory: home.path + "/files").lockUse(exclusive: false) : nil
        defer { chunkUse?.release() }
        let staging = target + ".partial-\(UUID().uuidString)"
        let partial = staging + ".tar"
        defer {
            try? FileManager.default.removeItem(atPath: staging)
            try? FileManager.default.removeItem(atPath: partial)
        }
        try makeFolder(staging)
        try store.backUp(to: staging + "/store.sqlite")
        let takenAt = ISO8601DateFormatter().string(from: Date())
        let present = homeMembers.filter { FileManager.default.fileExists(atPath: home.path + "/" + $0) }
        let manifest: JSONValue = [
            "format": .integer(Int64(format)), "taken_at": .string(takenAt), "node_id": .string(store.nodeID),
            "members": .array(([manifestName, "store.sqlite"] + present).map(JSONValue.string)),
        ]
        try write(manifest.encoded(), to: staging + "/" + manifestName)

        let result = try tar(
            ["-cf", partial, "-C", staging, manifestName, "store.sqlite"]
                + (present.isEmpty ? [] : ["-C", home.path] + present),
            allowingChangedFiles: true,
            failure: .storage
        )
        // It holds the node's token: readable by its owner only, like HOME/remote.token.
        chmod(partial, 0o600)
        try syncFile(partial)
        guard rename(partial, target) == 0 else {
            throw OutpostError(
                .storage,
                "Cannot move the backup into place at \(target): \(String(cString: strerror(errno))).",
                details: ["path": target]
            )
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber)?.int64Value ?? 0
        return Report(
            path: target,
            bytes: bytes,
            nodeID: store.nodeID,
            takenAt: takenAt,
            members: [manifestName, "store.sqlite"] + present,
            warnings: result.warnings
        )
    }

    /// Restores the archive at `archive` as the node at `home`, which must not hold anything.
    ///
    /// - Throws: ``OutpostError`` `.alreadyExists` when `home` holds files, `.invalidInput` for
    ///   a file that is not a sound backup (a name outside the home, a damaged store, another
    ///   format), `.notFound` for a missing archive; nothing is changed then.
    public static func restore(from archive: String, into home: NodeHome) throws(OutpostError) -> RestoreReport {
        let archive = URL(fileURLWithPath: archive).standardizedFileURL.path
        guard FileManager.default.isReadableFile(atPath: archive) else {
            throw OutpostError(.notFound, "Cannot read the backup \(archive).", details: ["path": archive])
        }
        if home.exists {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: home.path)) ?? []
            guard contents.isEmpty else {
                throw OutpostError(
                    .alreadyExists,
                    "\(home.path) already holds files; a restore never writes over a node. Restore into a new "
                        + "folder (--home), or move this one away first.",
                    details: ["home": home.path]
                )
            }
        }
        let names = try tar(["-tf", archive], allowingChangedFiles: false, failure: .invalidInput).output
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        try checkNames(names, archive: archive)

        let parent = (home.path as NSString).deletingLastPathComponent
        let staging = parent + "/." + (home.path as NSString).lastPathComponent + ".restoring-\(UUID().uuidString)"
        try makeFolder(parent)
        try makeFolder(staging)
        var moved = false
        defer { if !moved { try? FileManager.default.removeItem(atPath: staging) } }
        _ = try tar(["-xf", archive, "-C", staging, "--no-same-owner"], allowingChangedFiles: false, failure: .storage)
        try checkLinks(in: staging, archive: archive)

        let manifest = try readManifest(staging + "/" + manifestName, archive: archive)
        let (nodeID, refetched) = try prepareStore(staging + "/store.sqlite", takenAt: manifest.takenAt)

        if home.exists { try? FileManager.default.removeItem(atPath: home.path) }
        guard rename(staging, home.path) == 0 else {
            throw OutpostError(
                .storage,
                "Cannot move the restored node into place at \(home.path): \(String(cString: strerror(errno))).",
                details: ["home": home.path]
            )
        }
        moved = true
        return RestoreReport(home: home.path, nodeID: nodeID, takenAt: manifest.takenAt, refetched: refetched)
    }

    /// Every name must stay inside the home and be one a backup writes.
    static func checkNames(_ names: [String], archive: String) throws(OutpostError) {
        for name in names {
            let parts = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            guard !name.hasPrefix("/"), !parts.contains(".."), let first = parts.first,
                allowedMembers.contains(first)
            else {
                throw OutpostError(
                    .invalidInput,
                    "\(archive) is not an Outpost backup: it holds '\(name.prefix(200))', which is not part of a "
                        + "node's home. Nothing was restored.",
                    details: ["path": archive, "member": String(name.prefix(200))]
                )
            }
        }
        for required in [manifestName, "store.sqlite"] where !names.contains(required) {
            throw OutpostError(
                .invalidInput,
                "\(archive) is not an Outpost backup: it has no \(required). Nothing was restored.",
                details: ["path": archive]
            )
        }
    }

    /// A symbolic link in the unpacked home must point inside it.
    static func checkLinks(in folder: String, archive: String) throws(OutpostError) {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { return }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { continue }
            let base = (path as NSString).deletingLastPathComponent
            let resolved = URL(fileURLWithPath: target.hasPrefix("/") ? target : base + "/" + target)
                .standardizedFileURL.path
            guard resolved == root || resolved.hasPrefix(root + "/") else {
                throw OutpostError(
                    .invalidInput,
                    "\(archive) is not a safe backup: \(relative) links outside the home (to \(target)). "
                        + "Nothing was restored.",
                    details: ["path": archive, "member": relative]
                )
            }
        }
    }

    /// Checks the unpacked store and readies it for its first sync; the store is closed again
    /// when this returns, before the folder moves.
    private static func prepareStore(_ path: String, takenAt: String) throws(OutpostError)
        -> (nodeID: String, refetched: [String])
    {
        try Store.checkIntegrity(of: path)
        let store = try Store(path: path, createIfMissing: false)
        return (store.nodeID, try store.prepareRestored(backupTakenAt: takenAt))
    }

    private struct Manifest {
        var takenAt: String
    }

    private static func readManifest(_ path: String, archive: String) throws(OutpostError) -> Manifest {
        let value: JSONValue
        do {
            value = try JSONValue(
                parsing: String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            )
        } catch {
            throw OutpostError(.invalidInput, "\(archive) has a manifest that is not JSON. Nothing was restored.")
        }
        guard case .integer(let version)? = value["format"], version == Int64(format) else {
            throw OutpostError(
                .invalidInput,
                "\(archive) is a backup in format \(value["format"]?.encoded() ?? "unknown"); this outpost reads "
                    + "format \(format). Nothing was restored."
            )
        }
        return Manifest(takenAt: value["taken_at"]?.stringValue ?? "an unknown time")
    }

    /// Runs `tar`; GNU tar's status 1 ("a file changed as it was read") is a warning when
    /// `allowingChangedFiles`. Any other failure throws an error of kind `failure`.
    private static func tar(_ arguments: [String], allowingChangedFiles: Bool, failure: OutpostError.Code)
        throws(OutpostError)
        -> (output: String, warnings: [String])
    {
        let result = try ChildProcess("tar", arguments).runAsGroup(timeout: .seconds(86_400), outputLimit: 64 << 20)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        let lines = stderr.split(separator: "\n").map(String.init)
        switch result.termination {
        case .exited(0):
            return (String(decoding: result.stdout, as: UTF8.self), lines)
        case .exited(1) where allowingChangedFiles:
            return (String(decoding: result.stdout, as: UTF8.self), lines)
        default:
            throw OutpostError(
                failure,
                "tar \(arguments.first ?? "") failed (\(result.termination)): \(lines.prefix(3).joined(separator: "; "))"
            )
        }
    }

    private static func makeFolder(_ path: String) throws(OutpostError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OutpostError(.storage, "Cannot create \(path): \(error.localizedDescription).")
        }
    }

    private static func write(_ text: String, to path: String) throws(OutpostError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw OutpostError(.storage, "Cannot write \(path): \(error.localizedDescription).")
        }
    }

    /// Flushes the file to disk before it is renamed into place.
    private static func syncFile(_ path: String) throws(OutpostError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            if descriptor >= 0 { close(descriptor) }
            throw OutpostError(.storage, "Cannot flush \(path) to disk: \(String(cString: strerror(errno))).")
        }
        close(descriptor)
    }
}
