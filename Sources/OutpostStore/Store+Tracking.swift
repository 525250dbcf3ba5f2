package import GRDB
public import OutpostCore

extension Store {
    /// Makes `table` synced: every insert, update and delete is captured in the outbox, and
    /// the rows it already holds are queued (``TrackedTable/queuedRows``), so they sync too.
    ///
    /// Safe to call again: it reinstalls the triggers with the new priority and local columns
    /// (and queues nothing more).
    ///
    /// ```swift
    /// try store.track("readings", priority: 3, localColumns: ["cached_at"])
    /// ```
    ///
    /// - Parameters:
    ///   - table: an existing table with a primary key.
    ///   - priority: 1 (background) … 10 (critical), for rows whose `status` is not `critical`.
    ///     Defaults to 5.
    ///   - localColumns: columns that stay on this node. After `ALTER TABLE … ADD COLUMN`, call
    ///     `track` again when you use local columns, so capture watches the new column.
    ///   - progress: called with (rows queued, rows in the table) while a table's existing
    ///     rows are queued (every 100,000 rows of a large table).
    /// - Throws: ``OutpostError`` `.notFound` for an unknown table, `.invalidInput` for a table
    ///   without a primary key, an unknown column or a priority out of range.
    @discardableResult
    public func track(
        _ table: String,
        priority: Int = 5,
        localColumns: [String] = [],
        progress: (_ queued: Int, _ total: Int) -> Void = { _, _ in }
    ) throws(OutpostError) -> TrackedTable {
        try write { db in
            let schema = try TableSchema.require(table, in: db)
            if StoreSchema.builtInTables.contains(schema.name) {
                throw OutpostError(
                    .invalidInput,
                    "'\(schema.name)' is one of Outpost's core tables; it is always synced with fixed settings."
                )
            }
            let queued = try CaptureTriggers.track(
                table: schema.name,
                priority: priority,
                localColumns: localColumns,
                progress: progress,
                in: db
            )
            var tracked = try Self.trackedTables(in: db).first { $0.name == schema.name }!
            tracked.queuedRows = queued
            return tracked
        }
    }

    /// Stops syncing `table`: removes its capture triggers.
    ///
    /// Changes still waiting in the queue would be lost to the hub, so untracking a table with
    /// pending changes is refused unless `discardingPending` is true.
    ///
    /// - Returns: how many pending changes were discarded.
    @discardableResult
    public func untrack(_ table: String, discardingPending: Bool = false) throws(OutpostError) -> Int {
        try write { db in
            let schema = try TableSchema.require(table, in: db)
            if StoreSchema.builtInTables.contains(schema.name) {
                throw OutpostError(
                    .invalidInput,
                    "'\(schema.name)' is one of Outpost's core tables and is always synced."
                )
            }
            guard
                try Int.fetchOne(
                    db,
                    sql: "SELECT 1 FROM outpost_tracked_tables WHERE table_name = ?",
                    arguments: [schema.name]
                )
                    != nil
            else {
                throw OutpostError(.notFound, "Table '\(schema.name)' is not tracked, so there is nothing to untrack.")
            }
            let outbox = Outbox(db)
            let pending = try outbox.unconfirmedCount(table: schema.name)
            if pending > 0, !discardingPending {
                throw OutpostError(
                    .failedPrecondition,
                    "Table '\(schema.name)' has \(pending) change(s) not yet confirmed by the hub. Sync first, "
                        + "or pass --discard-pending to drop them from the queue."
                )
            }
            try CaptureTriggers.dropTriggers(table: schema.name, in: db)
            try db.execute(sql: "DELETE FROM outpost_tracked_tables WHERE table_name = ?", arguments: [schema.name])
            return try outbox.discardUnconfirmed(table: schema.name)
        }
    }

    /// Every synced table, built-in ones first.
    public func trackedTables() throws(OutpostError) -> [TrackedTable] {
        try read { db in try Self.trackedTables(in: db) }
    }

    package static func trackedTables(in db: Database) throws -> [TrackedTable] {
        let builtIn = StoreSchema.builtInTables
        return try Row.fetchAll(db, sql: "SELECT * FROM outpost_tracked_tables ORDER BY table_name").map { row in
            TrackedTable(
                name: row["table_name"],
                priority: row["priority"],
                keyColumns: Self.stringArray(row["key_columns"]),
                localColumns: Self.stringArray(row["local_columns"]),
                isBuiltIn: builtIn.contains(row["table_name"])
            )
        }
        .sorted { ($0.isBuiltIn ? 0 : 1, $0.name) < ($1.isBuiltIn ? 0 : 1, $1.name) }
    }

    /// The table's synced columns as the sync engine last recorded them; `nil` before its first
    /// sync.
    package static func knownColumns(of table: String, in db: Database) throws -> [String]? {
        try String.fetchOne(
            db,
            sql: "SELECT known_columns FROM outpost_tracked_tables WHERE table_name = ?",
            arguments: [table]
        ).map(stringArray)
    }

    /// Records the table's synced columns as the sync engine has now seen them.
    package static func recordKnownColumns(_ columns: [String], of table: String, in db: Database) throws {
        try db.execute(
            sql: "UPDATE outpost_tracked_tables SET known_columns = ? WHERE table_name = ?",
            arguments: [JSONValue.array(columns.map { .string($0) }).encoded(), table]
        )
    }

    /// Tables whose rows the engine is to fetch from the hub from the start, with the
    /// table-filtered cursor reached so far.
    package static func tablesToFill(in db: Database) throws -> [(table: String, cursor: Int64)] {
        try Row.fetchAll(
            db,
            sql: "SELECT table_name, hub_fill_cursor FROM outpost_tracked_tables WHERE hub_fill_cursor IS NOT NULL"
        ).map { ($0["table_name"], $0["hub_fill_cursor"]) }
    }

    /// Sets (or, with `nil`, ends) a table's fill from the hub.
    package static func setFillCursor(_ cursor: Int64?, of table: String, in db: Database) throws {
        try db.execute(
            sql: "UPDATE outpost_tracked_tables SET hub_fill_cursor = ? WHERE table_name = ?",
            arguments: [cursor, table]
        )
    }

    /// Asks the next sync to fetch the hub's rows of `tables` (every tracked table when `nil`)
    /// from the start and repair rows that differ from the hub's with no local change waiting.
    ///
    /// - Returns: the tables that will be fetched.
    /// - Throws: ``OutpostError`` `.notFound` for a table that is not tracked; nothing is changed.
    @discardableResult
    public func requestResync(tables: [String]?) throws(OutpostError) -> [String] {
        try write { db in
            let tracked = try Self.trackedTables(in: db).map(\.name)
            var chosen = tracked
            if let tables {
                chosen = []
                for name in tables {
                    guard let match = tracked.first(where: { $0.lowercased() == name.lowercased() }) else {
                        throw OutpostError(
                            .notFound,
                            "Table '\(name)' is not tracked, so there is nothing to resync. Tracked: "
                                + "\(tracked.joined(separator: ", ")).",
                            details: ["table": name]
                        )
                    }
                    chosen.append(match)
                }
            }
            for name in chosen { try Self.setFillCursor(0, of: name, in: db) }
            return chosen
        }
    }

    private static func stringArray(_ text: String) -> [String] {
        guard case .array(let values)? = try? JSONValue(parsing: text) else { return [] }
        return values.compactMap(\.stringValue)
    }

    /// Runs `body` in a write transaction whose writes are *not* captured: for rows that came
    /// from the hub, which must not echo back into the outbox.
    ///
    /// The guard row is inserted and deleted inside the transaction, so no other connection
    /// ever sees it: writes made concurrently by other clients are still captured.
    package func writeWithoutCapture<T: Sendable>(_ body: (Database) throws -> T) throws(OutpostError) -> T {
        try write { db in
            try db.execute(sql: "INSERT INTO outpost_applying (id) VALUES (1)")
            let result = try body(db)
            try db.execute(sql: "DELETE FROM outpost_applying")
            return result
        }
    }

    /// ``writeWithoutCapture(_:)`` with foreign keys unchecked, for the sync engine's writes of
    /// hub rows: the hub's rows arrive in the order of their latest change, so a workflow may
    /// arrive before the agent it references; the set is consistent once every page is in.
    ///
    /// `foreignKeysOff` false leaves them on, for rows of tables no foreign key involves
    /// (``tablesInForeignKeys(in:)``): turning the pragma off and on again expires every
    /// prepared statement of the connection, which a pull would otherwise compile again for
    /// every page.
    package func writeApplyingRemote<T: Sendable>(foreignKeysOff: Bool = true, _ body: (Database) throws -> T)
        throws(OutpostError) -> T
    {
        do {
            return try pool.writeWithoutTransaction { db in try Self.applyingRemote(db, foreignKeysOff, body) }
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// One transaction with capture told to stand aside and foreign keys off (unless the caller
    /// says none is involved), for both forms of ``writeApplyingRemote(foreignKeysOff:_:)``.
    private static func applyingRemote<T>(_ db: Database, _ foreignKeysOff: Bool, _ body: (Database) throws -> T)
        throws -> T
    {
        if foreignKeysOff { try db.execute(sql: "PRAGMA foreign_keys = OFF") }
        defer { if foreignKeysOff { try? db.execute(sql: "PRAGMA foreign_keys = ON") } }
        var result: T?
        try db.inTransaction {
            try db.execute(sql: "INSERT INTO outpost_applying (id) VALUES (1)")
            result = try body(db)
            try db.execute(sql: "DELETE FROM outpost_applying")
            return .commit
        }
        return result!
    }

    /// ``writeApplyingRemote(foreignKeysOff:_:)`` for async callers: runs on GRDB's writer queue
    /// while the caller waits suspended.
    package func writeApplyingRemote<T: Sendable>(
        foreignKeysOff: Bool = true,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(OutpostError) -> T {
        do {
            return try await pool.writeWithoutTransaction { db in try Self.applyingRemote(db, foreignKeysOff, body) }
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// The tables a foreign key involves, as the child or the parent, their names lowercased
    /// (SQLite compares them without case): writes to any other table cannot break one.
    package static func tablesInForeignKeys(in db: Database) throws -> Set<String> {
        var names: Set<String> = []
        let pairs = try Row.fetchAll(
            db,
            sql: """
                SELECT m.name, f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
                WHERE m.type = 'table'
                """
        )
        for pair in pairs {
            names.insert((pair[0] as String).lowercased())
            names.insert((pair[1] as String).lowercased())
        }
        return names
    }
}
