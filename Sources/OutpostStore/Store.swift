import Foundation
public import GRDB
public import Logging
public import OutpostCore

/// A node's embedded SQLite store: its agents, workflows, executions, its own tables, and the
/// outbox that records every change to a synced table until the hub confirms it.
///
/// Open it, then read and write through GRDB:
///
/// ```swift
/// let store = try Store(path: home + "/store.sqlite", createIfMissing: true)
/// try store.write { db in
///     try db.execute(sql: "INSERT INTO readings (id, value) VALUES (?, ?)", arguments: [id, 21.5])
/// }
/// ```
///
/// Writes to synced tables are captured by triggers in the same transaction, so a write made
/// with any SQLite client (this API, `outpost sql`, or `sqlite3` on the file) lands in
/// the outbox (``Outbox``). The store uses one `DatabasePool` (WAL: readers never block the writer).
public final class Store: Sendable {
    /// The SQLite file.
    public let path: String
    /// This node's stable id (a UUIDv7 made when the store was created).
    public let nodeID: String
    package let pool: DatabasePool
    let logger: Logger

    /// Opens the store at `path`, upgrading its schema to the current version.
    ///
    /// - Parameters:
    ///   - path: the SQLite file, normally `HOME/store.sqlite`.
    ///   - createIfMissing: create the file when it does not exist. Defaults to `false`, so a
    ///     mistyped home is reported instead of silently starting an empty node.
    ///   - logger: where the store logs what it does; libraries never make their own.
    /// - Throws: ``OutpostError`` `.failedPrecondition` when there is no store and
    ///   `createIfMissing` is false, or when a newer Outpost upgraded the store past what this
    ///   one knows; `.storage` when SQLite cannot open or upgrade the file.
    public init(
        path: String,
        createIfMissing: Bool = false,
        logger: Logger = Logger(label: "outpost.store")
    ) throws(OutpostError) {
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists || createIfMissing else {
            throw OutpostError(
                .failedPrecondition,
                "No Outpost store at \(path).",
                remedy: .createNode(home: URL(fileURLWithPath: path).deletingLastPathComponent().path)
            )
        }
        self.path = path
        self.logger = logger
        do {
            pool = try DatabasePool(path: path, configuration: Self.makeConfiguration())
            try pool.writeWithoutTransaction { db in try Self.enableIncrementalVacuumIfEmpty(db) }
            let unknown = try pool.read { db in try StoreSchema.unknownMigrations(in: db) }
            guard unknown.isEmpty else {
                throw OutpostError(
                    .failedPrecondition,
                    "The store at \(path) was upgraded by a newer Outpost: it has the schema change(s) "
                        + unknown.map { "'\($0)'" }.joined(separator: ", ")
                        + ", which this Outpost does not know. An older Outpost could lose changes in it "
                        + "(a newer one may keep them where this one never looks), so nothing was opened. "
                        + "Run the newer Outpost, or restore a backup this version made."
                )
            }
            try StoreSchema.migrator.migrate(pool)
            try pool.write { db in try ClockFloor(db).raisePastQueue() }
            nodeID =
                try pool.read { db in
                    try String.fetchOne(db, sql: "SELECT value FROM outpost_settings WHERE key = 'node_id'")
                } ?? ""
        } catch {
            throw OutpostError(database: error, path: path)
        }
        logger.debug("Opened store", metadata: ["store.path": "\(path)", "store.node": "\(nodeID)"])
    }

    /// Runs `body` in a write transaction and returns its result; a throw rolls everything back.
    ///
    /// - Throws: what `body` throws, or ``OutpostError`` `.storage` (read-only, full disk, …).
    @discardableResult
    public func write<T: Sendable>(_ body: (Database) throws -> T) throws(OutpostError) -> T {
        do {
            return try transaction(body)
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// Runs `body` on a read snapshot; it sees no write that commits after it starts.
    public func read<T: Sendable>(_ body: (Database) throws -> T) throws(OutpostError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// ``write(_:)`` for async callers: GRDB runs the transaction on its writer queue while the
    /// caller's task waits suspended, so a long write never holds a thread of the cooperative
    /// pool (which has one per core).
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OutpostError) -> T {
        do {
            return try await transaction(body)
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// A write transaction of the store, its errors as GRDB throws them: every one starts by
    /// folding a long capture log (``Outbox/foldIfLong()``), so a node that writes for weeks
    /// without pushing still keeps one queue entry per changed row.
    func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write { db in
            try Outbox(db).foldIfLong()
            return try body(db)
        }
    }

    /// ``transaction(_:)`` for async callers.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write { db in
            try Outbox(db).foldIfLong()
            return try body(db)
        }
    }

    /// ``read(_:)`` for async callers, on GRDB's reader pool without holding a pool thread.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OutpostError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// The pragmas the seed sets, applied to every connection the pool opens.
    private static func makeConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(
                sql: """
                    PRAGMA synchronous = NORMAL;
                    PRAGMA cache_size = 10000;
                    PRAGMA temp_store = MEMORY;
                    PRAGMA mmap_size = 268435456;
                    """
            )
        }
        return configuration
    }

    /// `auto_vacuum` only takes effect on a database with no tables yet (or after `VACUUM`), so
    /// it is set once, when the file is new.
    private static func enableIncrementalVacuumIfEmpty(_ db: Database) throws {
        let mode = try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0
        let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
        guard mode != 2, tables == 0 else { return }
        try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
        try db.execute(sql: "VACUUM")
    }
}
