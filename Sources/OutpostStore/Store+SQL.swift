import GRDB
public import OutpostCore

extension Store {
    /// Runs SQL written by the node's operator, all statements in one transaction.
    ///
    /// Writes to synced tables are captured by the same triggers as every other write. If any
    /// statement fails, none of them takes effect.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` with SQLite's reason for a bad statement.
    public func execute(sql: String) throws(OutpostError) -> SQLResult {
        guard !sql.allSatisfy({ $0.isWhitespace || $0 == ";" }) else {
            throw OutpostError(.invalidInput, "The SQL text is empty; give a statement such as \"SELECT * FROM agents\".")
        }
        return try write { db in
            var result = SQLResult(columns: [], rows: [], changedRows: 0, returnedRows: false)
            let before = db.totalChangesCount
            let statements = try db.allStatements(sql: sql)
            while let statement = try statements.next() {
                if statement.columnCount > 0 {
                    let rows = try Row.fetchAll(statement)
                    result.columns = statement.columnNames
                    result.rows = rows.map { row in row.databaseValues.map(JSONValue.init) }
                    result.returnedRows = true
                } else {
                    try statement.execute()
                }
            }
            result.changedRows = db.totalChangesCount - before
            return result
        }
    }
}
