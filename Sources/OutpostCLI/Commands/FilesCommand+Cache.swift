public import ArgumentParser
public import OutpostBlobs
import OutpostCore
import OutpostSync

struct FilesFetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch files' content from the hub now, even content the budget evicted or the policy skips.",
        discussion: """
            Resumes from the chunks already here. Runs beside `outpost run` (it does not take the \
            node's sync lock).

            Example:
              outpost files fetch videos/line-3.mp4 models/vision.onnx
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The stored files' names.") var names: [String]

    func run() async throws {
        for name in names {
            try await Self.fetch(name, node: node)
            print("Fetched \(name)")
        }
    }

    /// Fetches one file's content through the node's hub.
    static func fetch(_ name: String, node: NodeOptions) async throws {
        let engine = try node.nodeHome.engine(configuration: SyncConfiguration(), logger: .cli)
        guard try await engine.fetchFile(named: name) else {
            throw OutpostError(
                .failedPrecondition,
                "The hub does not hold all of the content of '\(name)' yet (the node that put it has not pushed it); "
                    + "nothing is lost: try again after that node syncs."
            )
        }
    }
}

struct FilesPin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Keep a file's content on this node whatever the budget.",
        discussion: "Example:\n  outpost files pin models/vision.onnx"
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The stored files' names.") var names: [String]

    func run() throws { try Self.setPinned(names, true, node: node) }

    /// Pins or unpins each named file, saying so.
    static func setPinned(_ names: [String], _ pinned: Bool, node: NodeOptions) throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        for name in names { print("\(pinned ? "Pinned" : "Unpinned") \(try files.setPinned(name, pinned).name)") }
    }
}

struct FilesUnpin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpin",
        abstract: "Let the budget evict a file's content again.",
        discussion: "Example:\n  outpost files unpin models/vision.onnx"
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The stored files' names.") var names: [String]

    func run() throws { try FilesPin.setPinned(names, false, node: node) }
}

struct FilesBudget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Show or set how much file content this node keeps on disk.",
        discussion: """
            Beyond the budget, content is evicted — least recently used first (or oldest with \
            --evict-by age) — once the hub holds all of it; pinned files never. Evicted content \
            is fetched again by `outpost files get` and by workflow `file` steps. The budget \
            applies after each `files put` and each sync, and now.

            Example:
              outpost files budget             # show it
              outpost files budget 20g
              outpost files budget 500m --evict-by age
              outpost files budget none        # keep everything
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "Bytes of chunks to keep (e.g. 500m, 20g), or none.") var size: String?
    @Option(help: "Which content goes first: lru (default) or age.") var evictBy: FileCachePolicy.EvictionOrder?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        var policy = try files.cachePolicy()
        if let size {
            if size == "none" {
                policy.budgetBytes = nil
            } else if let bytes = ByteCount(argument: size) {
                policy.budgetBytes = bytes.bytes
            } else {
                throw ValidationError("'\(size)' is not a size; write e.g. 500m or 20g, or none.")
            }
        }
        if let evictBy { policy.evictBy = evictBy }
        if size != nil || evictBy != nil { try files.setCachePolicy(policy) }
        let eviction = try files.enforceBudget()
        if output.json {
            Output.json(FilesBudgetReport(policy: policy, eviction: eviction))
            return
        }
        print("budget: \(policy.budgetBytes.map { "\($0) bytes" } ?? "none"), evict by \(policy.evictBy.rawValue)")
        print("on disk: \(eviction.bytesKept) bytes of chunks")
        if !eviction.files.isEmpty {
            print(
                "evicted \(eviction.files.count) file(s), \(eviction.bytesFreed) bytes: \(eviction.files.joined(separator: ", "))"
            )
        }
    }
}

/// `outpost files budget --json`.
private struct FilesBudgetReport: Encodable {
    var policy: FileCachePolicy
    var eviction: FileStore.Eviction
}

struct FilesSkip: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skip",
        abstract: "Show or set which files from the hub this node does not fetch until asked.",
        discussion: """
            Files whose name matches a pattern (`*` within a path segment, `**` across them, `?` \
            one character) or whose priority is below --below-priority stay on the hub until \
            `outpost files get` or `files fetch` asks for them. Rows still sync.

            Example:
              outpost files skip --pattern 'videos/**' --pattern '*.raw'
              outpost files skip --below-priority 3
              outpost files skip --none
            """
    )

    @OptionGroup var node: NodeOptions
    @Option(help: "A name pattern to skip (repeat for more); replaces the list.") var pattern: [String] = []
    @Option(help: "Skip files below this priority (1…10).") var belowPriority: Int?
    @Flag(help: "Fetch everything again.") var none = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let files = try FileStore(store: node.openStore(), home: node.homePath)
        var policy = try files.cachePolicy()
        if none {
            policy.skipPatterns = []
            policy.skipBelowPriority = nil
        }
        if !pattern.isEmpty { policy.skipPatterns = pattern }
        if let belowPriority { policy.skipBelowPriority = belowPriority }
        if none || !pattern.isEmpty || belowPriority != nil { try files.setCachePolicy(policy) }
        if output.json {
            Output.json(policy)
            return
        }
        print("skip patterns: \(policy.skipPatterns.isEmpty ? "none" : policy.skipPatterns.joined(separator: ", "))")
        print("skip below priority: \(policy.skipBelowPriority.map(String.init) ?? "none")")
    }
}

extension FileCachePolicy.EvictionOrder: ExpressibleByArgument {}
