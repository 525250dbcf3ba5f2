package import GRDB
public import OutpostCore

/// Tables that grow, or appear, from the hub's declarations (`GET /v1/tables`).
///
/// Only plain declared types (``TableDeclaration/isPlainType(_:)``) and names that SQLite's own
/// catalogue does not hold yet are spliced into SQL; columns are only ever added, never dropped
/// or changed, so a node keeps every value it has.
extension Store {
    /// The `outpost_settings` key that turns off adding the hub's columns (`off`; else on).
    static let autoAddSetting = "schema_auto_add"
    /// The `outpost_settings` key set when the hub's columns are to be checked at the next pull
    /// (auto-add turned on, or a check that could not reach the hub).
    static let columnCheckSetting = "schema_check_pending"

    /// Whether the sync engine adds the columns the hub knows to tracked tables (on by default).
    public func addsHubColumns() throws(OutpostError) -> Bool {
        try read { db in try Self.addsHubColumns(in: db) }
    }

    package static func addsHubColumns(in db: Database) throws -> Bool {
        try setting(autoAddSetting, in: db) != "off"
    }

    /// Turns adding the hub's columns on or off. Turned on, the next pull checks the hub's
    /// declarations, so columns whose values arrived while it was off are added and filled.
    public func setAddsHubColumns(_ enabled: Bool) throws(OutpostError) {
        try write { db in
            try Self.setSetting(Self.autoAddSetting, to: enabled ? "on" : "off", in: db)
            if enabled { try Self.setSetting(Self.columnCheckSetting, to: "1", in: db) }
        }
    }

    /// Whether a check of the hub's columns is owed (see ``columnCheckSetting``).
    package static func columnCheckIsPending(in db: Database) throws -> Bool {
        try setting(columnCheckSetting, in: db) == "1"
    }

    package static func setColumnCheckPending(_ pending: Bool, in db: Database) throws {
        if pending {
            try setSetting(columnCheckSetting, to: "1", in: db)
        } else {
            try db.execute(sql: "DELETE FROM outpost_settings WHERE key = ?", arguments: [columnCheckSetting])
        }
    }

    /// Adds to tracked `table` each of `columns` it lacks (`ALTER TABLE … ADD COLUMN` with the
    /// declared type), then installs its capture triggers again, so an update trigger that
    /// watches a column list (a table with local columns) watches the new columns too. Runs in
    /// the caller's transaction; the new columns hold NULL until the caller fills them.
    ///
    /// A column whose name the table already has, in any case, is left alone, and so is one
    /// whose type is not plain (or unknown: it is added without a type).
    ///
    /// - Returns: the columns added, in the order given.
    package static func addColumns(_ columns: [TableDeclaration.Column], to table: String, in db: Database) throws
        -> [String]
    {
        let schema = try TableSchema.require(table, in: db)
        guard let tracked = try trackedTables(in: db).first(where: { $0.name == schema.name }) else { return [] }
        var present = Set(schema.columns.map { $0.lowercased() })
        var added: [String] = []
        for column in columns {
            let type = column.type ?? ""
            guard TableDeclaration.isPlainType(type), present.insert(column.name.lowercased()).inserted else {
                continue
            }
            try db.execute(
                sql: "ALTER TABLE \(quoteIdentifier(schema.name)) ADD COLUMN \(quoteIdentifier(column.name)) \(type)"
            )
            added.append(column.name)
        }
        if !added.isEmpty {
            _ = try CaptureTriggers.track(
                table: schema.name,
                priority: tracked.priority,
                localColumns: tracked.localColumns,
                in: db
            )
        }
        return added
    }

    /// Creates `table` as `declaration` describes it (columns, declared types, primary key),
    /// tracks it, and marks it to be filled from the hub at the next sync: a node adopting a
    /// table other nodes sync. One transaction: on any failure nothing is created.
    ///
    /// ```swift
    /// try store.createTable("readings", from: declaration, priority: 3)
    /// ```
    ///
    /// - Throws: ``OutpostError`` `.alreadyExists` when the store has a table (or view) of that
    ///   name in any case; `.invalidInput` when the declaration has no primary key, a name
    ///   Outpost keeps for itself, or a type that is not plain; what ``track(_:priority:localColumns:)``
    ///   throws for the priority and local columns.
    @discardableResult
    public func createTable(
        _ table: String,
        from declaration: TableDeclaration,
        priority: Int = 5,
        localColumns: [String] = []
    ) throws(OutpostError) -> TrackedTable {
        try write { db in
            if let existing = try String.fetchOne(
                db,
                sql: "SELECT name FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')",
                arguments: [table]
            ) {
                throw OutpostError(
                    .alreadyExists,
                    "The store already has a table named '\(existing)', so it cannot be created from the hub's "
                        + "declaration.",
                    details: ["table": existing]
                )
            }
            if CaptureTriggers.isInternal(table) {
                throw OutpostError(.invalidInput, "'\(table)' is a name Outpost keeps for its own bookkeeping.")
            }
            guard !declaration.primaryKey.isEmpty else {
                throw OutpostError(
                    .invalidInput,
                    "The hub knows no primary key for '\(table)' (no node running this version has pushed it yet).",
                    details: ["table": table]
                )
            }
            var definitions: [String] = []
            for column in declaration.columns {
                let type = column.type ?? ""
                guard TableDeclaration.isPlainType(type) else {
                    throw OutpostError(
                        .invalidInput,
                        "Column '\(column.name)' of '\(table)' has a declared type that is not a plain SQLite type.",
                        details: ["table": table, "column": column.name]
                    )
                }
                definitions.append(
                    type.isEmpty ? quoteIdentifier(column.name) : "\(quoteIdentifier(column.name)) \(type)"
                )
            }
            let key = declaration.primaryKey.map(quoteIdentifier).joined(separator: ", ")
            try db.execute(
                sql:
                    "CREATE TABLE \(quoteIdentifier(table)) (\(definitions.joined(separator: ", ")), PRIMARY KEY (\(key)))"
            )
            _ = try CaptureTriggers.track(table: table, priority: priority, localColumns: localColumns, in: db)
            try Self.setFillCursor(0, of: table, in: db)
            return try Self.trackedTables(in: db).first { $0.name == table }!
        }
    }

    /// A node setting (`outpost_settings`), or `nil`.
    package static func setting(_ key: String, in db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM outpost_settings WHERE key = ?", arguments: [key])
    }

    /// Removes a node setting (`outpost_settings`), if set.
    package static func removeSetting(_ key: String, in db: Database) throws {
        try db.execute(sql: "DELETE FROM outpost_settings WHERE key = ?", arguments: [key])
    }

    /// Sets a node setting (`outpost_settings`).
    package static func setSetting(_ key: String, to value: String, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO outpost_settings (key, value) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """,
            arguments: [key, value]
        )
    }
}
