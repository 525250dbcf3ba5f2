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
/// Rows written one after another into one table go to SQLite a hundred a statement (the row
/// and its base each): inside the page's savepoint every statement opens and releases a
/// statement journal, which cost more than the row's own write. So a write is complete only
/// after ``flush()``, which the caller runs before anything else touches the tables (the
/// reconciler, a parked conflict settled) and at the end of the page; a constraint a row breaks
/// is reported there, and the caller takes the page again row by row.
///
/// Every other row (left the scope, a known version in a repair, local work, a `restoring`
/// pull, a row that is not a JSON object) is declined and goes through the reconciler, which
/// decides it.
struct CleanRowWriter {
    /// What ``write(_:into:epoch:repair:)`` did with a row.
    enum Outcome {
        /// Written (or held for ``CleanRowWriter/flush()``), with its base.
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
    /// ``BaseRows/recordStatement(rows:)`` by number of rows.
    private var recordBases: [Int: PreparedStatement] = [:]
    /// Upserts of one table held for ``flush()``.
    private var held: HeldRows?

    /// One table's writes, prepared once per page (a class: the upserts it prepares for each
    /// number of rows are kept as they are made).
    private final class TableStatements {
        /// The synced columns that are not part of the key, in the statements' order.
        var columns: [String]
        /// The `VALUES` row of ``upsert(rows:)``: placeholders for the key and `columns`, then
        /// the seed's bookkeeping.
        var valuesRow: String
        /// `INSERT … VALUES` up to the rows, and from `ON CONFLICT` on.
        var upsertHead: String
        var upsertTail: String
        /// Rows a statement carries (a hundred, fewer for a very wide table).
        var rowsPerStatement: Int
        /// Upserts prepared for a number of rows: rows a key already takes are updated, where an
        /// update then an insert cost two for every new row (an initial pull's every row).
        var upserts: [Int: PreparedStatement] = [:]
        var delete: PreparedStatement

        init(
            columns: [String],
            valuesRow: String,
            upsertHead: String,
            upsertTail: String,
            rowsPerStatement: Int,
            delete: PreparedStatement
        ) {
            self.columns = columns
            self.valuesRow = valuesRow
            self.upsertHead = upsertHead
            self.upsertTail = upsertTail
            self.rowsPerStatement = rowsPerStatement
            self.delete = delete
        }

        /// The upsert of `count` rows, prepared the first time it is needed; a full statement's
        /// is kept in the connection's statement cache, for the pages that follow.
        func upsert(rows count: Int, in db: Database) throws -> PreparedStatement {
            if let prepared = upserts[count] { return prepared }
            let sql = upsertHead + repeatElement(valuesRow, count: count).joined(separator: ", ") + upsertTail
            let prepared =
                count == rowsPerStatement
                ? try PreparedStatement(cached: sql, in: db) : try PreparedStatement(sql, in: db)
            upserts[count] = prepared
            return prepared
        }
    }

    /// Rows of one table written but not yet sent to SQLite, each with its base.
    private struct HeldRows {
        var table: String
        var values: [DatabaseValue] = []
        var bases: [DatabaseValue] = []
        /// A key met twice in one statement would make SQLite refuse it; a page has each row
        /// once, but a hub's page is not trusted to.
        var keys: Set<String> = []
        var count: Int { keys.count }
    }

    init(_ db: Database) {
        self.db = db
    }

    /// Writes `row` into `table` and records it as the row's base, or passes over a version the
    /// node holds (outside a `repair`, which compares it with the local row), when it is a row
    /// this writer takes. The caller knows the node has no local work. A written row may be
    /// held until ``flush()``.
    mutating func write(_ row: HubRow, into table: SyncedTable, epoch: Int64, repair: Bool) throws -> Outcome {
        guard !row.left else { return .declined }
        let members: [String: JSONValue]
        switch row.data {
        case .object(let object) where !row.deleted: members = object
        case _ where row.deleted: members = [:]
        default: return .declined
        }
        // Another table's rows go first, as do this key's (its version is read below).
        if let held, held.table != table.name || held.keys.contains(row.key) { try flush() }
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
        // The text the row arrived in, when it came from a pull answer: no need to encode the
        // values just parsed from it back into text.
        let base = BaseRows.recordValues(
            version: row.version,
            dataText: row.deleted ? nil : row.dataText ?? row.data?.encoded(),
            hlc: row.hlc,
            origin: row.origin,
            table: row.table,
            key: row.key,
            epoch: epoch
        )
        if row.deleted {
            try flush()
            try statements.delete.run(keyValues)
            let recordBase = try self.recordBase ?? bases.recordStatement()
            self.recordBase = recordBase
            try recordBase.run(base + [false.databaseValue])
            return .applied
        }
        var rows = held ?? HeldRows(table: table.name)
        held = nil  // so that `rows` owns its arrays and grows them in place
        rows.values += keyValues
        for column in statements.columns { rows.values.append(members[column]?.databaseValue ?? .null) }
        rows.bases += base
        rows.keys.insert(row.key)
        held = rows
        if rows.count >= statements.rowsPerStatement { try flush() }
        return .applied
    }

    /// Sends the rows held by ``write(_:into:epoch:repair:)`` to SQLite: after it, every row
    /// reported applied is in its table with its base.
    ///
    /// - Throws: `DatabaseError` `SQLITE_CONSTRAINT` when a held row breaks a local constraint.
    mutating func flush() throws {
        guard let rows = held, let statements = statements[rows.table] ?? nil else { return }
        held = nil
        try statements.upsert(rows: rows.count, in: db).run(rows.values)
        let recordBases = try self.recordBases[rows.count] ?? BaseRows(db).recordStatement(rows: rows.count)
        self.recordBases[rows.count] = recordBases
        try recordBases.run(rows.bases + [false.databaseValue])
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
        let width = schema.primaryKey.count + columns.count
        let made = TableStatements(
            columns: columns,
            valuesRow: "(\(insertValues.joined(separator: ", ")))",
            upsertHead: "INSERT INTO \(name) (\(insertColumns.joined(separator: ", "))) VALUES ",
            upsertTail: """

                ON CONFLICT (\(schema.primaryKey.map(quoteIdentifier).joined(separator: ", ")))
                DO UPDATE SET \(assignments.joined(separator: ", "))
                """,
            rowsPerStatement: min(
                SQLList.rowsPerStatement(width: width),
                SQLList.rowsPerStatement(width: BaseRows.recordWidth, spare: 1)
            ),
            delete: try PreparedStatement("DELETE FROM \(name) WHERE \(keyClause)", in: db)
        )
        statements[table.name] = made
        return made
    }
}
