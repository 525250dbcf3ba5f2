import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore

/// Writes rows from the hub (or merged with it) into the node's tables, and keeps the node's
/// copy of the hub's state (`outpost_sync_rows`), the base of the next merge.
///
/// Callers run inside ``SyncEngine``'s guarded transaction, so these writes are not captured.
enum RowWriter {
    /// The last hub state of a row that the node knows.
    struct Base: Sendable {
        var version: Int64
        /// The synced columns; `nil` for a tombstone.
        var data: JSONValue?
        var hlc: Int64
        var origin: String
    }

    static func base(table: String, key: String, in db: Database) throws -> Base? {
        guard
            let row = try Row.fetchOne(
                cached: db,
                sql: "SELECT version, data, hlc, origin FROM outpost_sync_rows WHERE table_name = ? AND record_id = ?",
                arguments: [table, key]
            )
        else { return nil }
        let text: String? = row["data"]
        return Base(
            version: row["version"],
            data: try text.map { try JSONValue(parsing: $0) },
            hlc: row["hlc"],
            origin: row["origin"] ?? ""
        )
    }

    /// Records `base` as the hub's state of the row, unless the node already knows a newer one.
    static func setBase(_ base: Base, table: String, key: String, epoch: Int64, in db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO outpost_sync_rows (table_name, record_id, version, data, hlc, origin, seen_epoch)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (table_name, record_id) DO UPDATE SET
                    version = excluded.version, data = excluded.data, hlc = excluded.hlc,
                    origin = excluded.origin, seen_epoch = max(seen_epoch, excluded.seen_epoch)
                WHERE excluded.version >= outpost_sync_rows.version
                """,
            arguments: [table, key, base.version, base.data?.encoded(), base.hlc, base.origin, epoch]
        )
    }

    static func setBase(from row: HubRow, epoch: Int64, in db: Database) throws {
        try setBase(
            Base(version: row.version, data: row.deleted ? nil : row.data, hlc: row.hlc, origin: row.origin),
            table: row.table,
            key: row.key,
            epoch: epoch,
            in: db
        )
    }

    /// The row's synced columns as JSON, or `nil` when the row does not exist.
    static func localValue(of table: SyncedTable, key: String, in db: Database) throws -> JSONValue? {
        let keyValues = try Store.keyValues(key, of: table.schema)
        return try Store.currentRow(of: table.schema, key: keyValues, in: db).map(table.syncedValue(of:))
    }

    /// Makes the local row hold `value`'s synced columns (an update of those columns when it
    /// exists, else an insert); `nil` deletes it. Local-only columns are left alone, and
    /// members the local table has no column for are ignored.
    static func write(_ value: JSONValue?, into table: SyncedTable, key: String, in db: Database) throws {
        let schema = table.schema
        let keyValues = try Store.keyValues(key, of: schema)
        let keyClause = schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
        let name = quoteIdentifier(schema.name)
        guard case .object(let members)? = value else {
            try db.run(sql: "DELETE FROM \(name) WHERE \(keyClause)", arguments: StatementArguments(keyValues))
            return
        }
        var columns: [String] = []
        var values: [DatabaseValue] = []
        for column in table.syncedColumns where !schema.primaryKey.contains(column) {
            if let member = members[column] {
                columns.append(column)
                values.append(member.databaseValue)
            }
        }
        if !columns.isEmpty {
            try db.run(
                sql:
                    "UPDATE \(name) SET \(columns.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: ", ")) WHERE \(keyClause)",
                arguments: StatementArguments(values + keyValues)
            )
            if db.changesCount > 0 { return }
        } else if try Bool.fetchOne(
            cached: db,
            sql: "SELECT EXISTS (SELECT 1 FROM \(name) WHERE \(keyClause))",
            arguments: StatementArguments(keyValues)
        )
            == true
        {
            return
        }
        let all = schema.primaryKey + columns
        try db.run(
            sql:
                "INSERT INTO \(name) (\(all.map(quoteIdentifier).joined(separator: ", "))) VALUES (\(all.map { _ in "?" }.joined(separator: ", ")))",
            arguments: StatementArguments(keyValues + values)
        )
    }

    /// Queues the row for push, as a capture trigger would: one pending entry per row, the
    /// highest priority seen, a stamp newer than the entry's last one.
    static func enqueue(table: SyncedTable, key: String, deleted: Bool, in db: Database) throws {
        let value = try localValue(of: table, key: key, in: db)
        let critical = value?["status"]?.stringValue == "critical"
        var priority = critical ? 10 : table.priority
        // The file index carries each file's priority in a column, as its capture trigger reads.
        if table.name == SyncEngine.fileTable, case .integer(let own)? = value?["priority"] {
            priority = Int(min(10, max(1, own)))
        }
        let stamp = try Store.freshStamp(in: db)
        try db.run(
            sql: """
                INSERT INTO sync_queue (table_name, record_id, operation, priority, hlc)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (table_name, record_id) WHERE status = 'pending' DO UPDATE SET
                    operation = CASE WHEN excluded.operation = 'DELETE' THEN 'DELETE'
                                     WHEN sync_queue.operation = 'INSERT' THEN 'INSERT' ELSE 'UPDATE' END,
                    priority = max(sync_queue.priority, excluded.priority),
                    hlc = max(excluded.hlc, sync_queue.hlc + 1)
                """,
            arguments: [table.name, key, deleted ? "DELETE" : "UPDATE", priority, stamp]
        )
    }

    /// Whether the row has local work the hub does not have: a queued, in-flight or held change,
    /// or a conflict waiting for a person.
    static func isDirty(table: String, key: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            cached: db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2 AND status = 'pending')
                    OR EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2
                               AND status IN ('processing', 'conflict'))
                    OR EXISTS (SELECT 1 FROM conflict_resolution WHERE table_name = ?1 AND record_id = ?2
                               AND status = 'pending' AND kind = 'sync')
                """,
            arguments: [table, key]
        ) ?? false
    }

    /// Marks the row's seed bookkeeping (`sync_status`, `last_sync`) synced when nothing of it
    /// waits to be pushed.
    static func markSynced(table: SyncedTable, key: String, in db: Database) throws {
        guard table.hasSyncStatus, try !isDirty(table: table.name, key: key, in: db) else { return }
        let keyValues = try Store.keyValues(key, of: table.schema)
        let keyClause = table.schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
        let lastSync = table.schema.columns.contains("last_sync") ? ", last_sync = CURRENT_TIMESTAMP" : ""
        try db.run(
            sql: "UPDATE \(quoteIdentifier(table.name)) SET sync_status = 'synced'\(lastSync) WHERE \(keyClause)",
            arguments: StatementArguments(keyValues)
        )
    }
}
