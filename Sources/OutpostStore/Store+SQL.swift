import GRDB
public import OutpostCore

extension Store {
    /// Runs SQL written by the node's operator, all statements in one transaction.
    ///
    /// Writes to synced tables are captured by the same triggers as every other write. If any
    /// statement fails, none of them takes effect. The capture log is folded before each
    /// statement that returns rows, so a query of `sync_queue` shows every change made so far.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` with SQLite's reason for a bad statement.
    public func execute(sql: String) throws(OutpostError) -> SQLResult {
        guard !sql.allSatisfy({ $0.isWhitespace || $0 == ";" }) else {
            throw OutpostError(
                .invalidInput,
                "The SQL text is empty; give a statement such as \"SELECT * FROM agents\"."
            )
        }
        return try write { db in
            var result = SQLResult(columns: [], rows: [], changedRows: 0, returnedRows: false)
            let statements = try db.allStatements(sql: sql)
            while let statement = try statements.next() {
                if statement.columnCount > 0 {
                    try Outbox(db).fold()
                    let rows = try Row.fetchAll(statement)
                    result.columns = statement.columnNames
                    result.rows = rows.map { row in row.databaseValues.map(JSONValue.init) }
                    result.returnedRows = true
                } else {
                    try statement.execute()
                    // changes() counts the statement's own rows, not those its triggers wrote; DDL
                    // leaves it at the previous statement's value, so only DML is counted.
                    if Self.isDataChange(statement.sql) {
                        result.changedRows += db.changesCount
                        result.changedData = true
                    }
                }
            }
            return result
        }
    }

    /// Runs one statement with bound parameters: a JSON array binds `?` in order, a JSON object
    /// binds `:name` (a BLOB is given as `{"$blob": "BASE64"}`). Values are never spliced into
    /// the text, so a workflow's `sql` step can pass what an earlier step produced. A statement
    /// that returns rows sees the capture log folded, as ``execute(sql:)`` does.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` for a bad statement or wrong parameters.
    public func execute(statement sql: String, arguments: JSONValue?) async throws(OutpostError) -> SQLResult {
        let bound: StatementArguments
        switch arguments {
        case nil, .null?: bound = StatementArguments()
        case .array(let values)?: bound = StatementArguments(values.map(\.databaseValue))
        case .object(let members)?: bound = StatementArguments(members.mapValues(\.databaseValue))
        case let other?:
            throw OutpostError(
                .invalidInput,
                "The statement's parameters are a \(other.typeName); give an array (for ?) or an object (for :name)."
            )
        }
        return try await write { db in
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(bound)
            var result = SQLResult(columns: statement.columnNames, rows: [], changedRows: 0, returnedRows: false)
            if statement.columnCount > 0 {
                try Outbox(db).fold()
                result.rows = try Row.fetchAll(statement).map { row in row.databaseValues.map(JSONValue.init) }
                result.returnedRows = true
            } else {
                try statement.execute()
                result.changedRows = db.changesCount
                result.changedData = Self.isDataChange(sql)
            }
            return result
        }
    }

    private static func isDataChange(_ sql: String) -> Bool {
        let keyword = sql.drop { $0.isWhitespace }.prefix { $0.isLetter }.uppercased()
        return ["INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"].contains(keyword)
    }
}
