import GRDB
import OutpostCore
import OutpostStore

/// Columns a tracked table gained after the node last synced it.
///
/// A node whose table lacks a column still keeps the hub's values for it in its base rows. When
/// the column appears (`ALTER TABLE … ADD COLUMN`), every local row holds the column's default
/// instead, and the next push would send that default over the hub's value: an acknowledged
/// write lost. So before each push and pull the engine notices new columns and fills them from
/// the base: a row whose new column still holds the declared default (or NULL) takes the base's
/// value, written without capture, so nothing is sent for it. A value the node wrote after
/// adding the column is kept and pushed (only a value equal to the default is taken as unset).
enum SchemaGrowth {
    /// Tables whose synced columns differ from those recorded at the last sync (or never recorded).
    static func changed(_ tables: [String: SyncedTable], in db: Database) throws -> [SyncedTable] {
        try tables.values.filter { try Store.knownColumns(of: $0.name, in: db) != $0.syncedColumns }
    }

    /// Fills the new columns of `tables` from the base rows and records their columns as known.
    /// A table the engine had never synced (no columns recorded) is tracked late: unless the
    /// node has not pulled at all yet (`cursor` 0), its rows are to be fetched from the hub from
    /// the start, since the node's cursor has passed them. Runs inside the caller's transaction,
    /// with capture off.
    ///
    /// - Returns: how many local rows took values they had been missing.
    static func adopt(_ tables: [SyncedTable], cursor: Int64, in db: Database) throws -> Int {
        var filled = 0
        for table in tables {
            if let known = try Store.knownColumns(of: table.name, in: db) {
                let knownSet = Set(known.map { $0.lowercased() })
                let added = table.syncedColumns.filter { !knownSet.contains($0.lowercased()) }
                if !added.isEmpty {
                    filled += try fill(added, of: table, in: db)
                }
            } else if cursor > 0 {
                try Store.setFillCursor(0, of: table.name, in: db)
            }
            try Store.recordKnownColumns(table.syncedColumns, of: table.name, in: db)
        }
        return filled
    }

    private static func fill(_ columns: [String], of table: SyncedTable, in db: Database) throws -> Int {
        let defaults = try declaredDefaults(of: table.name, in: db)
        var filled = 0
        for (key, base) in try BaseRows(db).rows(of: table.name) {
            let offered = columns.filter { base[$0] != nil }
            guard !offered.isEmpty else { continue }
            let address = try RowAddress(table.schema, key: key)
            guard let local = try address.read(in: db) else { continue }
            var names: [String] = []
            var values: [DatabaseValue] = []
            for column in offered where local[column] == defaults[column] ?? .null {
                names.append(column)
                values.append(base[column]!.databaseValue)
            }
            guard !names.isEmpty else { continue }
            try address.write(names, values, in: db)
            filled += 1
        }
        return filled
    }

    /// Each column's declared default, evaluated (`NULL` when it has none).
    private static func declaredDefaults(of table: String, in db: Database) throws -> [String: JSONValue] {
        var defaults: [String: JSONValue] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, dflt_value FROM pragma_table_info(?)", arguments: [table]) {
            guard let expression = row["dflt_value"] as String? else { continue }
            // ALTER TABLE … ADD COLUMN allows only constant defaults, so evaluating one is safe.
            if let value = try? DatabaseValue.fetchOne(db, sql: "SELECT \(expression)") {
                defaults[row["name"]] = JSONValue(value)
            }
        }
        return defaults
    }
}
