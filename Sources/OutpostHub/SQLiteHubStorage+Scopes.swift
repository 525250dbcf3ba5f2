import GRDB
import OutpostCore

extension SQLiteHubStorage {
    /// The scope tables and index (migration v10): each row's bucket is indexed with its
    /// sequence number, so a pull reads one range per bucket; exits are kept per bucket.
    static let scopeSchema = """
        CREATE INDEX outpost_records_by_bucket ON outpost_records (tenant_id, bucket, seq);
        CREATE TABLE outpost_scope_exits (
            tenant_id TEXT NOT NULL,
            bucket TEXT NOT NULL,
            seq INTEGER NOT NULL,
            destination TEXT NOT NULL,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            origin_node TEXT NOT NULL,
            PRIMARY KEY (tenant_id, bucket, seq)
        ) WITHOUT ROWID;
        """

    package func scopes(tenant: String) async throws -> ScopeRules {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT scopes FROM outpost_tenants WHERE name = ?",
                    arguments: [tenant]
                )
            else { throw HubAdminError.unknownTenant(tenant) }
            let text: String? = row["scopes"]
            return try text.map { try ScopeRules(parsing: $0) } ?? ScopeRules()
        }
    }

    package func setScopes(tenant: String, rules: ScopeRules) async throws -> Int {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, scopes FROM outpost_tenants WHERE name = ?",
                    arguments: [tenant]
                )
            else { throw HubAdminError.unknownTenant(tenant) }
            let tenantID: String = row["id"]
            let old = try (row["scopes"] as String?).map { try ScopeRules(parsing: $0) } ?? ScopeRules()
            try db.execute(
                sql: "UPDATE outpost_tenants SET scopes = ? WHERE id = ?",
                arguments: [rules.tables.isEmpty ? nil : rules.encoded(), tenantID]
            )
            var moved = 0
            let update = try db.cachedStatement(
                sql: "UPDATE outpost_records SET bucket = ? WHERE tenant_id = ? AND table_name = ? AND record_id = ?"
            )
            for table in rules.tablesChanged(since: old) {
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT record_id, data, deleted, origin_node, bucket FROM outpost_records
                        WHERE tenant_id = ? AND table_name = ?
                        """,
                    arguments: [tenantID, table]
                )
                var changes: [(key: String, bucket: String)] = []
                while let row = try rows.next() {
                    let bucket = try rules.bucket(
                        table: table,
                        storedData: row["data"],
                        deleted: row["deleted"],
                        origin: row["origin_node"],
                        key: row["record_id"]
                    )
                    if bucket != row["bucket"] as String { changes.append((row["record_id"], bucket)) }
                }
                for change in changes {
                    try update.execute(arguments: [change.bucket, tenantID, table, change.key])
                }
                moved += changes.count
            }
            return moved
        }
    }

    package func setAttributes(nodeID: String, attributes: NodeAttributes) async throws -> NodeInfo {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outpost_nodes SET attributes = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [attributes.values.isEmpty ? nil : attributes.stored, nodeID]
            )
            if db.changesCount == 0 { throw try Self.notLive(nodeID, in: db) }
            return try Self.nodes(db, where: "n.id = ?", [nodeID])[0]
        }
    }

    /// Keeps the exits a push made, for the pulls of the nodes the rows left.
    static func record(_ exits: [ScopeExit], tenantID: String, in db: Database) throws {
        guard !exits.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO outpost_scope_exits
                    (tenant_id, bucket, seq, destination, table_name, record_id, version, hlc, origin_node)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for exit in exits {
            try insert.execute(arguments: [
                tenantID, exit.bucket, exit.sequence, exit.destination, exit.table, exit.key, exit.version, exit.hlc,
                exit.origin,
            ])
        }
    }
}

extension ScopedPullQuery {
    /// The query's arguments as GRDB binds them.
    var databaseArguments: StatementArguments {
        StatementArguments(
            arguments.map { argument -> any DatabaseValueConvertible in
                switch argument {
                case .text(let text): text
                case .integer(let value): value
                }
            }
        )
    }
}
