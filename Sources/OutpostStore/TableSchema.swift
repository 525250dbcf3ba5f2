public import GRDB
public import OutpostCore

/// A table's shape as SQLite reports it: the only source of table and column names that
/// Outpost ever splices into SQL. Names from input are looked up here first, never used raw.
public struct TableSchema: Sendable, Equatable {
    /// The name as the schema spells it.
    public var name: String
    /// Columns in declaration order.
    public var columns: [String]
    /// Primary-key columns in key order; empty when the table has none (only a rowid).
    public var primaryKey: [String]
    /// Each column's declared type, in the order of ``columns`` (empty text for none), which
    /// nodes send the hub so that other nodes can add the column or create the table.
    public var declaredTypes: [String] = []

    /// A schema known from elsewhere than this store (a hub's declaration of a tenant's table).
    package init(name: String, columns: [String], primaryKey: [String], declaredTypes: [String] = []) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.declaredTypes = declaredTypes
    }

    /// The schema of the table named `name` (case-insensitive, as SQLite compares names).
    ///
    /// - Throws: ``OutpostError`` `.notFound` listing the tables that exist, or
    ///   `.invalidInput` for a view, a virtual table, or one of Outpost's own tables.
    public static func require(_ name: String, in db: Database) throws -> TableSchema {
        let found = try Row.fetchOne(
            db,
            sql:
                "SELECT name, type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')",
            arguments: [name]
        )
        guard let found else {
            let tables = try userTables(in: db)
            throw OutpostError(
                .notFound,
                "No table named '\(name)' in the store. Tables: \(tables.isEmpty ? "(none)" : tables.joined(separator: ", ")).",
                details: ["table": name]
            )
        }
        let canonical: String = found["name"]
        if found["type"] as String == "view" {
            throw OutpostError(.invalidInput, "'\(canonical)' is a view, not a table; only tables can be synced.")
        }
        if (found["sql"] as String?)?.uppercased().hasPrefix("CREATE VIRTUAL") == true {
            throw OutpostError(.invalidInput, "'\(canonical)' is a virtual table; only ordinary tables can be synced.")
        }
        if CaptureTriggers.isInternal(canonical) {
            throw OutpostError(
                .invalidInput,
                "'\(canonical)' is part of Outpost's own bookkeeping and cannot be synced or changed this way."
            )
        }
        let info = try Row.fetchAll(
            db,
            sql: "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid",
            arguments: [canonical]
        )
        let columns = info.map { $0["name"] as String }
        let primaryKey =
            info
            .filter { ($0["pk"] as Int) > 0 }
            .sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }
            .map { $0["name"] as String }
        return TableSchema(
            name: canonical,
            columns: columns,
            primaryKey: primaryKey,
            declaredTypes: info.map { $0["type"] as String? ?? "" }
        )
    }

    /// The column of this table named `column` (case-insensitive), as the schema spells it.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` listing the columns that exist.
    public func requireColumn(_ column: String) throws(OutpostError) -> String {
        guard let match = columns.first(where: { $0.lowercased() == column.lowercased() }) else {
            throw OutpostError(
                .invalidInput,
                "Table '\(name)' has no column '\(column)'. Its columns: \(columns.joined(separator: ", ")).",
                details: ["table": name, "column": column]
            )
        }
        return match
    }

    /// The declared type of `column` (named as the schema spells it); empty when it has none.
    public func declaredType(of column: String) -> String {
        columns.firstIndex(of: column).flatMap { declaredTypes.indices.contains($0) ? declaredTypes[$0] : nil } ?? ""
    }

    /// The user's own tables (not Outpost's bookkeeping), sorted by name.
    public static func userTables(in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .filter { !CaptureTriggers.isInternal($0) }
    }
}
