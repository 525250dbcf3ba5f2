package import GRDB
package import OutpostCore

/// One row of a table, named by its key as the outbox records it (``QueueEntry/key``): the
/// value itself for a one-column key, a JSON array of the values for a composite one.
///
/// The one place that turns such a key into a `WHERE` clause, and reads, writes or deletes the
/// row. Column names come from the table's ``TableSchema``, never from input.
///
/// ```swift
/// let address = try RowAddress(schema, key: "r1")
/// let row = try address.read(in: db)   // ["id": "r1", "value": 21.5] or nil
/// ```
package struct RowAddress: Sendable {
    package let schema: TableSchema
    /// The key as the outbox records it.
    package let key: String
    /// The primary-key values, in key order.
    package let keyValues: [DatabaseValue]

    /// The row of `schema` with `key`.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` when the table has no primary key,
    ///   `.invalidInput` when a composite key is not a JSON array of the right length.
    package init(_ schema: TableSchema, key: String) throws(OutpostError) {
        self.schema = schema
        self.key = key
        switch schema.primaryKey.count {
        case 0:
            throw OutpostError(
                .failedPrecondition,
                "Table '\(schema.name)' has no primary key any more, so its rows cannot be found by key. "
                    + "Give it its key back."
            )
        case 1:
            keyValues = [key.databaseValue]
        default:
            guard case .array(let parts)? = try? JSONValue(parsing: key), parts.count == schema.primaryKey.count else {
                throw OutpostError(
                    .invalidInput,
                    "The key is not a JSON array of \(schema.primaryKey.count) values, as the key of "
                        + "'\(schema.name)' (\(schema.primaryKey.joined(separator: ", "))) needs.",
                    details: ["table": schema.name]
                )
            }
            keyValues = parts.map(\.databaseValue)
        }
    }

    private var table: String { quoteIdentifier(schema.name) }

    private var keyClause: String {
        schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
    }

    /// The row as JSON (every column), or `nil` when there is none.
    package func read(in db: Database) throws -> JSONValue? {
        // Cached: the sync engine reads a row this way for every change it pushes or merges.
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM \(table) WHERE \(keyClause)"),
            arguments: StatementArguments(keyValues)
        ).map(JSONValue.init)
    }

    /// The columns of `columns` whose value is TEXT holding U+0000.
    ///
    /// GRDB reads and binds text only up to its first U+0000, so such a value (written by
    /// another SQLite client) would travel cut short; the engine asks here and refuses to send
    /// it instead (PostgreSQL text could not hold it either).
    package func columnsHoldingNUL(_ columns: [String], in db: Database) throws -> [String] {
        guard !columns.isEmpty else { return [] }
        let checks = columns.map { column in
            let name = quoteIdentifier(column)
            return "(typeof(\(name)) = 'text' AND instr(CAST(\(name) AS BLOB), x'00') > 0)"
        }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(checks.joined(separator: ", ")) FROM \(table) WHERE \(keyClause)"),
                arguments: StatementArguments(keyValues)
            )
        else { return [] }
        return columns.indices.filter { (row[$0] as Bool?) == true }.map { columns[$0] }
    }

    /// Whether the row exists.
    package func exists(in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE \(keyClause))"),
            arguments: StatementArguments(keyValues)
        ) ?? false
    }

    /// Deletes the row (nothing when it is not there).
    package func delete(in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM \(table) WHERE \(keyClause)")
            .execute(arguments: StatementArguments(keyValues))
    }

    /// Makes the row hold `values` in `columns` (schema names, no key column): an update when it
    /// exists, else an insert of the key and those columns. `updating` adds SQL assignments made
    /// only when the row exists (`"version" = "version" + 1`).
    package func write(
        _ columns: [String],
        _ values: [DatabaseValue],
        updating extra: [String] = [],
        in db: Database
    ) throws {
        let assignments = columns.map { "\(quoteIdentifier($0)) = ?" } + extra
        if !assignments.isEmpty {
            try db.cachedStatement(sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(keyClause)")
                .execute(arguments: StatementArguments(values + keyValues))
            if db.changesCount > 0 { return }
        } else if try exists(in: db) {
            return
        }
        let all = schema.primaryKey + columns
        try db.cachedStatement(
            sql: """
                INSERT INTO \(table) (\(all.map(quoteIdentifier).joined(separator: ", ")))
                VALUES (\(all.map { _ in "?" }.joined(separator: ", ")))
                """
        ).execute(arguments: StatementArguments(keyValues + values))
    }

    /// Sets columns of an existing row with SQL assignments (`"sync_status" = 'synced'`).
    package func update(_ assignments: [String], in db: Database) throws {
        try db.cachedStatement(sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(keyClause)")
            .execute(arguments: StatementArguments(keyValues))
    }
}
