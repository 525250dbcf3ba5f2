import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore

/// Writes rows from the hub (or merged with it) into the node's tables, and keeps the node's
/// copy of the hub's state (``BaseRows``), the base of the next merge.
///
/// Callers run inside ``SyncEngine``'s guarded transaction, so these writes are not captured;
/// a row that must still go to the hub (a merge result) is queued with ``enqueue(table:key:deleted:in:)``.
enum RowWriter {
    /// Records `row` as the hub's state of its row, unless the node already knows a newer one.
    static func setBase(from row: HubRow, epoch: Int64, evenIfOlder: Bool = false, in db: Database) throws {
        try BaseRows(db).record(
            BaseRow(version: row.version, data: row.deleted ? nil : row.data, hlc: row.hlc, origin: row.origin),
            table: row.table,
            key: row.key,
            epoch: epoch,
            evenIfOlder: evenIfOlder
        )
    }

    /// The row's synced columns as JSON, or `nil` when the row does not exist.
    static func localValue(of table: SyncedTable, key: String, in db: Database) throws -> JSONValue? {
        try RowAddress(table.schema, key: key).read(in: db).map(table.syncedValue(of:))
    }

    /// Makes the local row hold `value`'s synced columns (an update of those columns when it
    /// exists, else an insert); `nil` deletes it. Local-only columns are left alone, and
    /// members the local table has no column for are ignored.
    static func write(_ value: JSONValue?, into table: SyncedTable, key: String, in db: Database) throws {
        let address = try RowAddress(table.schema, key: key)
        guard case .object(let members)? = value else {
            try address.delete(in: db)
            return
        }
        var columns: [String] = []
        var values: [DatabaseValue] = []
        for column in table.syncedColumns where !table.schema.primaryKey.contains(column) {
            if let member = members[column] {
                columns.append(column)
                values.append(member.databaseValue)
            }
        }
        try address.write(columns, values, in: db)
    }

    /// Queues the row for push, as a capture trigger would, with the trigger's priority rule.
    static func enqueue(table: SyncedTable, key: String, deleted: Bool, in db: Database) throws {
        // The whole row, as the trigger sees it (a local-only `status` counts too).
        let priority = table.capturePriority.value(of: try RowAddress(table.schema, key: key).read(in: db))
        try Outbox(db).enqueue(table: table.name, key: key, operation: deleted ? .delete : .update, priority: priority)
    }

    /// Marks the row's seed bookkeeping (`sync_status`, `last_sync`) synced when nothing of it
    /// waits to be pushed.
    static func markSynced(table: SyncedTable, key: String, in db: Database) throws {
        guard table.hasSyncStatus, try !Outbox(db).isDirty(table: table.name, key: key) else { return }
        let lastSync = table.schema.columns.contains("last_sync") ? ["last_sync = CURRENT_TIMESTAMP"] : []
        try RowAddress(table.schema, key: key).update(["sync_status = 'synced'"] + lastSync, in: db)
    }
}
