import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore

/// The short way in for the commonest pulled row: one of a version the node has not seen, on
/// a row the node has no local work on (an initial pull, a node that only follows). What
/// ``Reconciler/take(_:table:epoch:repair:restoring:in:)`` would do with it — write the hub's
/// columns, record the base, mark the seed's bookkeeping synced — in three statements prepared
/// once per table for a page (``PreparedStatement``), without building the row's JSON tree twice or
/// parsing the base.
///
/// Every other row (left the scope, a known version, local work, a `restoring` pull, a row
/// that is not a JSON object) is declined and goes through the reconciler, which decides it.
struct CleanRowWriter {
    private let db: Database
    private var statements: [String: TableStatements?] = [:]
    private var recordBase: PreparedStatement?
    private var versionQuery: PreparedStatement?

    /// One table's writes, prepared once per page.
    private struct TableStatements {
        /// The synced columns that are not part of the key, in the statements' order.
        var columns: [String]
        /// Inserts the row, or updates it where its key is already taken: one statement where
        /// an update then an insert cost two for every new row (an initial pull's every row).
        var upsert: PreparedStatement
        var delete: PreparedStatement
    }

    init(_ db: Database) {
        self.db = db
    }

    /// Writes `row` into `table` and records it as the row's base, when it is a row this writer
    /// takes; `false` (nothing written) otherwise. The caller knows the node has no local work.
    mutating func write(_ row: HubRow, into table: SyncedTable, epoch: Int64) throws -> Bool {
        guard !row.left else { return false }
        let members: [String: JSONValue]
        switch row.data {
        case .object(let object) where !row.deleted: members = object
        case _ where row.deleted: members = [:]
        default: return false
        }
        let bases = BaseRows(db)
        let versionQuery = try self.versionQuery ?? bases.versionQuery()
        self.versionQuery = versionQuery
        if let known = try bases.version(table: table.name, key: row.key, using: versionQuery), row.version <= known {
            return false
        }
        guard let statements = try self.statements(for: table) else { return false }
        let keyValues = try RowAddress(table.schema, key: row.key).keyValues
        if row.deleted {
            try statements.delete.run(keyValues)
        } else {
            var values: [DatabaseValue] = []
            values.reserveCapacity(statements.columns.count + keyValues.count)
            for column in statements.columns { values.append(members[column]?.databaseValue ?? .null) }
            try statements.upsert.run(keyValues + values)
        }
        let recordBase = try self.recordBase ?? bases.recordStatement()
        self.recordBase = recordBase
        try bases.record(
            BaseRow(version: row.version, data: row.deleted ? nil : row.data, hlc: row.hlc, origin: row.origin),
            table: row.table,
            key: row.key,
            epoch: epoch,
            using: recordBase
        )
        return true
    }

    /// `nil` for a table with nothing to set besides its key, which the reconciler writes.
    private mutating func statements(for table: SyncedTable) throws -> TableStatements? {
        if let known = statements[table.name] { return known }
        let schema = table.schema
        let name = quoteIdentifier(schema.name)
        let columns = table.syncedColumns.filter { !schema.primaryKey.contains($0) }
        // The seed's bookkeeping, as `RowWriter.markSynced` sets it for a row with no local work.
        var bookkeeping: [(column: String, value: String)] = []
        if table.hasSyncStatus {
            bookkeeping.append(("sync_status", "'synced'"))
            if schema.columns.contains("last_sync") { bookkeeping.append(("last_sync", "CURRENT_TIMESTAMP")) }
        }
        let keyClause = schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
        let assignments =
            columns.map { "\(quoteIdentifier($0)) = excluded.\(quoteIdentifier($0))" }
            + bookkeeping.map { "\(quoteIdentifier($0.column)) = \($0.value)" }
        let insertColumns =
            (schema.primaryKey + columns).map(quoteIdentifier) + bookkeeping.map { quoteIdentifier($0.column) }
        let insertValues = (schema.primaryKey + columns).map { _ in "?" } + bookkeeping.map(\.value)
        guard !assignments.isEmpty else {
            statements[table.name] = .some(nil)
            return nil
        }
        let made = TableStatements(
            columns: columns,
            upsert: try PreparedStatement(
                """
                INSERT INTO \(name) (\(insertColumns.joined(separator: ", ")))
                VALUES (\(insertValues.joined(separator: ", ")))
                ON CONFLICT (\(schema.primaryKey.map(quoteIdentifier).joined(separator: ", ")))
                DO UPDATE SET \(assignments.joined(separator: ", "))
                """,
                in: db
            ),
            delete: try PreparedStatement("DELETE FROM \(name) WHERE \(keyClause)", in: db)
        )
        statements[table.name] = made
        return made
    }
}
