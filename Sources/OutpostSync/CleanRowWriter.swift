import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore

/// The short way in for the commonest pulled rows, on a node with no local work: one of a
/// version the node has not seen (an initial pull, a node that only follows), and one of a
/// version it already holds (its own changes coming back after a push). What
/// ``Reconciler/take(_:table:epoch:repair:restoring:in:)`` would do with them — write the hub's
/// columns, record the base, mark the seed's bookkeeping synced; or, for a known version, only
/// mark the base seen by a re-sync — in statements prepared once per table for a page
/// (``PreparedStatement``), without building the row's JSON tree twice or parsing the base.
///
/// Every other row (left the scope, a known version in a repair, local work, a `restoring`
/// pull, a row that is not a JSON object) is declined and goes through the reconciler, which
/// decides it.
struct CleanRowWriter {
    /// What ``write(_:into:epoch:repair:)`` did with a row.
    enum Outcome {
        /// Written, with its base.
        case applied
        /// A version the node holds: nothing to write.
        case known
        /// Not this writer's: the reconciler decides it.
        case declined
    }

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

    /// Writes `row` into `table` and records it as the row's base, or passes over a version the
    /// node holds (outside a `repair`, which compares it with the local row), when it is a row
    /// this writer takes. The caller knows the node has no local work.
    mutating func write(_ row: HubRow, into table: SyncedTable, epoch: Int64, repair: Bool) throws -> Outcome {
        guard !row.left else { return .declined }
        let members: [String: JSONValue]
        switch row.data {
        case .object(let object) where !row.deleted: members = object
        case _ where row.deleted: members = [:]
        default: return .declined
        }
        let bases = BaseRows(db)
        let versionQuery = try self.versionQuery ?? bases.versionQuery()
        self.versionQuery = versionQuery
        if let known = try bases.version(table: table.name, key: row.key, using: versionQuery), row.version <= known {
            guard !repair else { return .declined }
            if epoch > 0 { try bases.markSeen(table: table.name, key: row.key, epoch: epoch) }
            return .known
        }
        guard let statements = try self.statements(for: table) else { return .declined }
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
        // The text the row arrived in, when it came from a pull answer: no need to encode the
        // values just parsed from it back into text.
        try bases.record(
            version: row.version,
            dataText: row.deleted ? nil : row.dataText ?? row.data?.encoded(),
            hlc: row.hlc,
            origin: row.origin,
            table: row.table,
            key: row.key,
            epoch: epoch,
            using: recordBase
        )
        return .applied
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
