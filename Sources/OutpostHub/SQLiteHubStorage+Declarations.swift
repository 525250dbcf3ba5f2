import GRDB
package import OutpostCore

/// Table declarations on the SQLite backend: declared types and the order columns were learned
/// in `outpost_columns`, primary keys in `outpost_tables` (migration v3).
extension SQLiteHubStorage {
    static let declarationsSchema = """
        ALTER TABLE outpost_columns ADD COLUMN declared_type TEXT;
        ALTER TABLE outpost_columns ADD COLUMN ordinal INTEGER;
        CREATE TABLE outpost_tables (
            tenant_id TEXT NOT NULL,
            table_name TEXT NOT NULL,
            primary_key TEXT NOT NULL,
            PRIMARY KEY (tenant_id, table_name)
        ) WITHOUT ROWID;
        """

    /// Records what `declarations` tell the hub for the first time, inside the push's
    /// transaction: a column's first declared type wins, and nothing is ever removed. A batch
    /// usually repeats what the hub knows; that costs a read and an insert that does nothing,
    /// by primary key, per table.
    static func record(_ declarations: [String: TableDeclaration], tenantID: String, in db: Database) throws {
        for (table, declaration) in declarations {
            let typed = Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT column_name FROM outpost_columns
                        WHERE tenant_id = ? AND table_name = ? AND declared_type IS NOT NULL
                        """,
                    arguments: [tenantID, table]
                )
            )
            if declaration.columns.contains(where: { !typed.contains($0.name) }) {
                let next =
                    try Int64.fetchOne(
                        db,
                        sql: "SELECT max(ordinal) + 1 FROM outpost_columns WHERE tenant_id = ? AND table_name = ?",
                        arguments: [tenantID, table]
                    ) ?? 0
                let upsert = try db.cachedStatement(
                    sql: """
                        INSERT INTO outpost_columns (tenant_id, table_name, column_name, declared_type, ordinal)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (tenant_id, table_name, column_name) DO UPDATE SET
                            declared_type = coalesce(outpost_columns.declared_type, excluded.declared_type),
                            ordinal = coalesce(outpost_columns.ordinal, excluded.ordinal)
                        """
                )
                for (offset, column) in declaration.columns.enumerated() where !typed.contains(column.name) {
                    try upsert.execute(arguments: [tenantID, table, column.name, column.type, next + Int64(offset)])
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO outpost_tables (tenant_id, table_name, primary_key) VALUES (?, ?, ?)
                    ON CONFLICT (tenant_id, table_name) DO NOTHING
                    """,
                arguments: [tenantID, table, declaration.primaryKeyJSON]
            )
        }
    }

    package func declarations(tenantID: String) async throws -> [String: TableDeclaration] {
        try await pool.read { db in
            var tables: [String: TableDeclaration] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT table_name, column_name, declared_type FROM outpost_columns WHERE tenant_id = ?
                    ORDER BY table_name, ordinal IS NULL, ordinal, column_name
                    """,
                arguments: [tenantID]
            ) {
                tables[row["table_name"], default: TableDeclaration(columns: [], primaryKey: [])].columns.append(
                    TableDeclaration.Column(name: row["column_name"], type: row["declared_type"])
                )
            }
            for row in try Row.fetchAll(
                db,
                sql: "SELECT table_name, primary_key FROM outpost_tables WHERE tenant_id = ?",
                arguments: [tenantID]
            ) {
                tables[row["table_name"]]?.primaryKey = TableDeclaration.keyColumns(fromJSON: row["primary_key"])
            }
            return tables
        }
    }
}
