import Logging
package import OutpostCore
import PostgresNIO

/// Table declarations on PostgreSQL: declared types and the order columns were learned in
/// `outpost_columns`, primary keys in `outpost_tables`.
extension PostgresHubStorage {
    /// Idempotent, like the rest of the schema, and run both before it and after it at every
    /// start. The columns are added only when missing: even `ADD COLUMN IF NOT EXISTS` takes an
    /// exclusive lock on `outpost_columns`, which deadlocks with a push of another hub process
    /// (it reads `outpost_columns`, then writes `outpost_records`, on which the schema's
    /// `CREATE INDEX IF NOT EXISTS` holds a share lock). Before the schema, an existing database is
    /// upgraded while the migration holds no other lock; after it, a new database gets them.
    static let declarationsSchema = [
        """
        DO $$
        BEGIN
            IF to_regclass('outpost_columns') IS NOT NULL AND (
                SELECT count(*) FROM pg_attribute
                WHERE attrelid = to_regclass('outpost_columns') AND attname IN ('declared_type', 'ordinal')
                    AND NOT attisdropped
            ) < 2 THEN
                ALTER TABLE outpost_columns
                    ADD COLUMN IF NOT EXISTS declared_type TEXT,
                    ADD COLUMN IF NOT EXISTS ordinal BIGINT;
            END IF;
        END
        $$
        """,
        """
        CREATE TABLE IF NOT EXISTS outpost_tables (
            tenant_id TEXT NOT NULL,
            table_name TEXT NOT NULL,
            primary_key TEXT NOT NULL,
            PRIMARY KEY (tenant_id, table_name)
        )
        """,
    ]

    /// Records what `declarations` tell the hub for the first time, in one statement of the push's
    /// transaction: a column's first declared type wins, and nothing is ever removed. A column
    /// already declared is left as it is (no row version is written for it).
    static func record(
        _ declarations: [String: TableDeclaration],
        tenantID: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !declarations.isEmpty else { return }
        var tables: [String] = []
        var names: [String] = []
        var types: [String] = []
        var offsets: [Int64] = []
        for (table, declaration) in declarations {
            for (offset, column) in declaration.columns.enumerated() {
                tables.append(table)
                names.append(column.name)
                types.append(column.type ?? "")
                offsets.append(Int64(offset))
            }
        }
        let keyed = Array(declarations.keys)
        let keys = keyed.map { declarations[$0]!.primaryKeyJSON }
        try await connection.query(
            """
            WITH declared AS (
                SELECT * FROM unnest(\(tables)::text[], \(names)::text[], \(types)::text[], \(offsets)::int8[])
                    AS d(t, c, ty, o)
            ),
            next AS (
                SELECT d.t, coalesce(max(oc.ordinal) + 1, 0) AS first
                FROM (SELECT DISTINCT t FROM declared) d
                LEFT JOIN outpost_columns oc ON oc.tenant_id = \(tenantID) AND oc.table_name = d.t
                GROUP BY d.t
            ),
            columns AS (
                INSERT INTO outpost_columns (tenant_id, table_name, column_name, declared_type, ordinal)
                SELECT \(tenantID), declared.t, declared.c, declared.ty, next.first + declared.o
                FROM declared JOIN next ON next.t = declared.t
                ON CONFLICT (tenant_id, table_name, column_name) DO UPDATE SET
                    declared_type = coalesce(outpost_columns.declared_type, excluded.declared_type),
                    ordinal = coalesce(outpost_columns.ordinal, excluded.ordinal)
                WHERE outpost_columns.declared_type IS NULL OR outpost_columns.ordinal IS NULL
            )
            INSERT INTO outpost_tables (tenant_id, table_name, primary_key)
            SELECT \(tenantID), t, k FROM unnest(\(keyed)::text[], \(keys)::text[]) AS p(t, k)
            ON CONFLICT (tenant_id, table_name) DO NOTHING
            """,
            logger: logger
        )
    }

    package func declarations(tenantID: String) async throws -> [String: TableDeclaration] {
        var tables: [String: TableDeclaration] = [:]
        for try await (table, column, type) in try await client.query(
            """
            SELECT table_name, column_name, declared_type FROM outpost_columns WHERE tenant_id = \(tenantID)
            ORDER BY table_name, ordinal IS NULL, ordinal, column_name
            """,
            logger: logger
        ).decode((String, String, String?).self) {
            tables[table, default: TableDeclaration(columns: [], primaryKey: [])].columns.append(
                TableDeclaration.Column(name: column, type: type)
            )
        }
        for try await (table, key) in try await client.query(
            "SELECT table_name, primary_key FROM outpost_tables WHERE tenant_id = \(tenantID)",
            logger: logger
        ).decode((String, String).self) {
            tables[table]?.primaryKey = TableDeclaration.keyColumns(fromJSON: key)
        }
        return tables
    }
}
