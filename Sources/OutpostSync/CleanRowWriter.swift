import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore

/// The short way in for the commonest pulled row: one of a version the node has not seen, on
/// a row the node has no local work on (an initial pull, a node that only follows). What
/// ``Reconciler/take(_:table:epoch:repair:restoring:in:)`` would do with it — write the hub's
/// columns, record the base, mark the seed's bookkeeping synced — in three statements whose
/// SQL is built once per table, without building the row's JSON tree twice or parsing the base.
///
/// Every other row (left the scope, a known version, local work, a `restoring` pull, a row
/// that is not a JSON object) is declined and goes through the reconciler, which decides it.
struct CleanRowWriter {
    private let db: Database
    private var statements: [String: TableStatements] = [:]

    /// The SQL of one table's writes, built once.
    private struct TableStatements {
        /// The synced columns that are not part of the key, in the statements' order.
        var columns: [String]
        var update: String
        var insert: String
        var delete: String
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
        if let known = try bases.version(table: table.name, key: row.key), row.version <= known { return false }
        guard let statements = self.statements(for: table) else { return false }
        let keyValues = try RowAddress(table.schema, key: row.key).keyValues
        if row.deleted {
            try db.cachedStatement(sql: statements.delete).execute(arguments: StatementArguments(keyValues))
        } else {
            var values: [DatabaseValue] = []
            values.reserveCapacity(statements.columns.count + keyValues.count)
            for column in statements.columns { values.append(members[column]?.databaseValue ?? .null) }
            try db.cachedStatement(sql: statements.update).execute(arguments: StatementArguments(values + keyValues))
            if db.changesCount == 0 {
                try db.cachedStatement(sql: statements.insert).execute(
                    arguments: StatementArguments(keyValues + values)
                )
            }
        }
        try RowWriter.setBase(from: row, epoch: epoch, in: db)
        return true
    }

    /// `nil` for a table with nothing to set besides its key, which the reconciler writes.
    private mutating func statements(for table: SyncedTable) -> TableStatements? {
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
            columns.map { "\(quoteIdentifier($0)) = ?" }
            + bookkeeping.map { "\(quoteIdentifier($0.column)) = \($0.value)" }
        let insertColumns =
            (schema.primaryKey + columns).map(quoteIdentifier) + bookkeeping.map { quoteIdentifier($0.column) }
        let insertValues = (schema.primaryKey + columns).map { _ in "?" } + bookkeeping.map(\.value)
        guard !assignments.isEmpty else { return nil }
        let made = TableStatements(
            columns: columns,
            update: "UPDATE \(name) SET \(assignments.joined(separator: ", ")) WHERE \(keyClause)",
            insert: """
                INSERT INTO \(name) (\(insertColumns.joined(separator: ", ")))
                VALUES (\(insertValues.joined(separator: ", ")))
                """,
            delete: "DELETE FROM \(name) WHERE \(keyClause)"
        )
        statements[table.name] = made
        return made
    }
}
