import GRDB
import OutpostCore
import OutpostStore

/// Reads the rows a push sends, each with its check for text that could not travel, in one
/// statement per row, prepared once per table for a whole batch (``PreparedStatement``).
///
/// Text holding U+0000 cannot travel (the hub's PostgreSQL cannot store it, and GRDB, through
/// which the rest of the engine reads, stops at it); the read notices one in the bytes SQLite
/// hands over (``PreparedStatement/rowNotingNUL(_:)``), and
/// ``RowAddress/columnsHoldingNUL(_:in:)`` then names the columns, on that rare row only.
struct PushRowReader {
    private let db: Database
    private var queries: [String: PreparedStatement] = [:]
    private var baseQuery: PreparedStatement?

    init(_ db: Database) {
        self.db = db
    }

    /// The row's synced columns (`nil`: there is no such row) and whether any holds U+0000.
    mutating func read(_ table: SyncedTable, key: String) throws -> (value: JSONValue?, holdsNUL: Bool) {
        let address = try RowAddress(table.schema, key: key)
        guard let read = try query(for: table).rowNotingNUL(address.keyValues) else { return (nil, false) }
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(table.syncedColumns.count)
        for (column, value) in zip(table.syncedColumns, read.values) {
            members[column] = JSONValue(value)
        }
        return (.object(members), read.holdsNUL)
    }

    /// The row's base (``BaseRows/base(table:key:)``), on a query prepared once for the batch.
    mutating func base(_ table: SyncedTable, key: String) throws -> BaseRow? {
        let bases = BaseRows(db)
        let query = try baseQuery ?? bases.baseQuery()
        baseQuery = query
        return try bases.base(table: table.name, key: key, using: query)
    }

    private mutating func query(for table: SyncedTable) throws -> PreparedStatement {
        if let known = queries[table.name] { return known }
        let keyClause = table.schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
        // A table whose only synced columns are its key still selects something, so a row is found.
        let selected = table.syncedColumns.isEmpty ? ["1"] : table.syncedColumns.map(quoteIdentifier)
        let query = try PreparedStatement(
            "SELECT \(selected.joined(separator: ", ")) FROM \(quoteIdentifier(table.name)) WHERE \(keyClause)",
            in: db
        )
        queries[table.name] = query
        return query
    }
}
