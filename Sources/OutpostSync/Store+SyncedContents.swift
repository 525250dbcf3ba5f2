import GRDB
public import OutpostCore
public import OutpostStore

extension Store {
    /// Every synced table's rows, synced columns only, in key order, as text: what must be equal
    /// on every node and the hub once everyone has synced (the demo and the tests compare these).
    public func syncedContents() throws(OutpostError) -> [String: [String]] {
        try read { db in
            var contents: [String: [String]] = [:]
            for table in try SyncedTable.load(in: db).values {
                let columns = table.syncedColumns.map(quoteIdentifier).joined(separator: ", ")
                let order = table.schema.primaryKey.map(quoteIdentifier).joined(separator: ", ")
                contents[table.name] = try Row.fetchAll(
                    db,
                    sql: "SELECT \(columns) FROM \(quoteIdentifier(table.name)) ORDER BY \(order)"
                ).map(\.description)
            }
            return contents
        }
    }
}
