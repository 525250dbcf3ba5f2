import GRDB
import OutpostCore
import OutpostStore

/// Reads the rows a push sends, each with its check for text that could not travel, in one
/// statement per row whose SQL is built once per table for a whole batch.
///
/// GRDB reads text only up to a U+0000, so a row holding one would travel cut short; SQLite
/// itself says whether any synced column's text holds one (``RowAddress/columnsHoldingNUL(_:in:)``
/// then names them, on that rare row only).
struct PushRowReader {
    private var queries: [String: String] = [:]

    /// The row's synced columns (`nil`: there is no such row) and whether any holds U+0000.
    mutating func read(_ table: SyncedTable, key: String, in db: Database) throws -> (
        value: JSONValue?, holdsNUL: Bool
    ) {
        let address = try RowAddress(table.schema, key: key)
        let sql = query(for: table)
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(address.keyValues))
        else { return (nil, false) }
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(table.syncedColumns.count)
        for (index, column) in table.syncedColumns.enumerated() {
            members[column] = JSONValue(row[index + 1] as DatabaseValue)
        }
        return (.object(members), (row[0] as Bool?) == true)
    }

    private mutating func query(for table: SyncedTable) -> String {
        if let known = queries[table.name] { return known }
        let checks = table.syncedColumns.map { column in
            let name = quoteIdentifier(column)
            return "(typeof(\(name)) = 'text' AND instr(CAST(\(name) AS BLOB), x'00') > 0)"
        }
        let keyClause = table.schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
        let selected =
            [checks.isEmpty ? "0" : checks.joined(separator: " OR ")] + table.syncedColumns.map(quoteIdentifier)
        let sql = """
            SELECT \(selected.joined(separator: ", "))
            FROM \(quoteIdentifier(table.name)) WHERE \(keyClause)
            """
        queries[table.name] = sql
        return sql
    }
}
