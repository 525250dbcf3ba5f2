public import Foundation
public import Logging
public import OutpostBlobs
public import OutpostCore
public import OutpostMerge
public import OutpostStore

/// A node's home folder and everything in it: the store, the rules file, the remote and its
/// token, the sync lock, the files and the workspace.
///
/// Every way of opening a node goes through it (the `outpost` commands, the demo, the
/// benchmarks, the tests), so the layout and the order things are opened in live in one place.
///
/// ```swift
/// let home = NodeHome.resolve(nil)            // --home, else $OUTPOST_HOME, else ./.outpost
/// let engine = try home.engine()             // store, rules, remote and files, opened
/// ```
public struct NodeHome: Sendable, CustomStringConvertible {
    /// The folder, absolute and standardised.
    public let path: String

    public init(path: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The home a command means: `given` (its `--home`), else `$OUTPOST_HOME`, else `./.outpost`.
    public static func resolve(
        _ given: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> NodeHome {
        NodeHome(path: given ?? environment["OUTPOST_HOME"] ?? ".outpost")
    }

    public var description: String { path }

    /// `HOME/store.sqlite`.
    public var storePath: String { path + "/store.sqlite" }
    /// `HOME/workspace`, the git working tree of definitions.
    public var workspacePath: String { path + "/workspace" }
    /// `HOME/rules.json`, the conflict rules (the defaults when it is missing).
    public var rulesFile: RulesFile { RulesFile(home: path) }

    /// Whether the folder exists.
    public var exists: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Creates the folder (and its parents) if it is missing.
    public func create() throws(OutpostError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OutpostError(.storage, "Cannot create the node's home \(path): \(error.localizedDescription).")
        }
    }

    /// Fails with a message that says to run `outpost init` when the folder is missing.
    public func requireExisting() throws(OutpostError) {
        guard exists else {
            throw OutpostError(
                .failedPrecondition,
                "No Outpost node at \(path).",
                remedy: .createNode(home: path)
            )
        }
    }

    /// Opens the node's store; a missing home is an error, unless `createIfMissing` (init).
    public func openStore(createIfMissing: Bool = false, logger: Logger = Logger(label: "outpost.store"))
        throws(OutpostError) -> Store
    {
        if createIfMissing { try create() } else { try requireExisting() }
        return try Store(path: storePath, createIfMissing: createIfMissing, logger: logger)
    }

    /// The rules in force: `rules.json`'s, or the shipped defaults.
    public func rules() throws(OutpostError) -> RulesConfiguration {
        try requireExisting()
        return try rulesFile.load().configuration
    }

    /// The hub the node syncs with; an error that says how to set one when there is none.
    public func remote() throws(OutpostError) -> RemoteConfiguration {
        try RemoteConfiguration.require(home: path)
    }

    /// The node's files (`HOME/files`), over `store`.
    public func files(store: Store, configuration: FileStoreConfiguration = FileStoreConfiguration())
        throws(OutpostError) -> FileStore
    {
        try FileStore(store: store, home: path, configuration: configuration)
    }

    /// Takes the node's sync lock (one engine per node at a time); a missing home is the same
    /// error as everywhere else, not one about the lock file.
    public func lockForSync() throws(OutpostError) -> SyncLock {
        try requireExisting()
        return try SyncLock(home: path)
    }

    /// The node's engine: its store, its rules, its remote (over `transport`, HTTP unless
    /// given) and its files, opened. A caller that holds the store (and its files) already
    /// passes them, and may pass the rules and the remote instead of those in the home.
    public func engine(
        store: Store? = nil,
        files: FileStore? = nil,
        rules: RulesConfiguration? = nil,
        remote: RemoteConfiguration? = nil,
        configuration: SyncConfiguration = SyncConfiguration(),
        transport: (any HubTransport)? = nil,
        logger: Logger = Logger(label: "outpost.sync")
    ) throws(OutpostError) -> SyncEngine {
        // `??` rethrows untyped; these keep the store's OutpostError.
        let openStore: Store
        if let store { openStore = store } else { openStore = try self.openStore(logger: logger) }
        let openFiles: FileStore
        if let files { openFiles = files } else { openFiles = try self.files(store: openStore) }
        let hub: RemoteConfiguration
        if let remote { hub = remote } else { hub = try self.remote() }
        let rulesInForce: RulesConfiguration
        if let rules { rulesInForce = rules } else { rulesInForce = try self.rules() }
        return SyncEngine(
            store: openStore,
            client: HubClient(remote: hub, transport: transport),
            resolver: ConflictResolver(configuration: rulesInForce),
            configuration: configuration,
            files: openFiles,
            logger: logger
        )
    }
}
