import Logging
import OutpostCore
import PostgresNIO

/// Scopes on PostgreSQL: the tenant's scopes, nodes' attributes, buckets and exits.
extension PostgresHubStorage {
    package func scopes(tenant: String) async throws -> ScopeRules {
        for try await (text) in try await client.query(
            "SELECT scopes FROM outpost_tenants WHERE name = \(tenant)",
            logger: logger
        ).decode(String?.self) {
            return try text.map { try ScopeRules(parsing: $0) } ?? ScopeRules()
        }
        throw HubAdminError.unknownTenant(tenant)
    }

    package func setScopes(tenant: String, rules: ScopeRules) async throws -> Int {
        let logger = self.logger
        return try await unwrappingTransactionErrors {
            try await self.client.withTransaction(logger: logger) { connection in
                var found: (id: String, scopes: String?)?
                for try await (id, scopes) in try await connection.query(
                    "SELECT id, scopes FROM outpost_tenants WHERE name = \(tenant) FOR UPDATE",
                    logger: logger
                ).decode((String, String?).self) {
                    found = (id, scopes)
                }
                guard let found else { throw HubAdminError.unknownTenant(tenant) }
                let old = try found.scopes.map { try ScopeRules(parsing: $0) } ?? ScopeRules()
                let text: String? = rules.tables.isEmpty ? nil : rules.encoded()
                try await connection.query(
                    "UPDATE outpost_tenants SET scopes = \(text) WHERE id = \(found.id)",
                    logger: logger
                )
                var moved = 0
                for table in rules.tablesChanged(since: old) {
                    var keys: [String] = []
                    var buckets: [String] = []
                    for try await (key, data, deleted, origin, bucket) in try await connection.query(
                        """
                        SELECT record_id, data::text, deleted, origin_node, bucket FROM outpost_records
                        WHERE tenant_id = \(found.id) AND table_name = \(table)
                        """,
                        logger: logger
                    ).decode((String, String?, Bool, String, String).self) {
                        let new = try rules.bucket(
                            table: table,
                            storedData: data,
                            deleted: deleted,
                            origin: origin,
                            key: key
                        )
                        if new != bucket {
                            keys.append(key)
                            buckets.append(new)
                        }
                    }
                    guard !keys.isEmpty else { continue }
                    try await connection.query(
                        """
                        UPDATE outpost_records r SET bucket = u.b
                        FROM unnest(\(keys)::text[], \(buckets)::text[]) AS u(k, b)
                        WHERE r.tenant_id = \(found.id) AND r.table_name = \(table) AND r.record_id = u.k
                        """,
                        logger: logger
                    )
                    moved += keys.count
                }
                return moved
            }
        }
    }

    package func setAttributes(nodeID: String, attributes: NodeAttributes) async throws -> NodeInfo {
        let stored: String? = attributes.values.isEmpty ? nil : attributes.stored
        var found = false
        for try await _ in try await client.query(
            "UPDATE outpost_nodes SET attributes = \(stored) WHERE id = \(nodeID) AND revoked_at IS NULL RETURNING id",
            logger: logger
        ).decode(String.self) {
            found = true
        }
        guard found else { throw try await notLive(nodeID) }
        guard let node = try await nodeList(tenant: nil, id: nodeID).first else {
            throw HubAdminError.unknownNode(nodeID)
        }
        return node
    }

    /// Keeps the exits a push made, in the push's transaction.
    static func record(
        _ exits: [ScopeExit],
        tenantID: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !exits.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO outpost_scope_exits
                (tenant_id, bucket, seq, destination, table_name, record_id, version, hlc, origin_node)
            SELECT \(tenantID), b, s, d, t, k, v, h, o
            FROM unnest(
                \(exits.map(\.bucket))::text[], \(exits.map(\.sequence))::int8[], \(exits.map(\.destination))::text[],
                \(exits.map(\.table))::text[], \(exits.map(\.key))::text[], \(exits.map(\.version))::int8[],
                \(exits.map(\.hlc))::int8[], \(exits.map(\.origin))::text[]
            ) AS e(b, s, d, t, k, v, h, o)
            ON CONFLICT (tenant_id, bucket, seq) DO NOTHING
            """,
            logger: logger
        )
    }

    /// A scoped node's pull (``ScopedPullQuery``) as one statement, like the unscoped one: the
    /// tenant's floor, head and epoch with the page, cut at the byte budget inside PostgreSQL.
    static func scopedPullStatement(
        node: AuthenticatedNode,
        cursor: Int64,
        limit: Int,
        maximumBytes: Int,
        table: String?
    ) -> PostgresQuery {
        var query = ScopedPullQuery(node: node, cursor: cursor, limit: limit + 1, table: table, placeholders: .numbered)
        let budget = query.bind(.integer(Int64(maximumBytes)))
        let tenant = query.bind(.text(node.tenantID))
        let sql = """
            SELECT t.tombstone_floor, t.last_seq, t.epoch, p.table_name, p.record_id, p.version, p.data,
                   p.deleted, p.hlc, p.origin_node, p.change_id, p.seq, p.available
            FROM outpost_tenants t
            LEFT JOIN LATERAL (
                SELECT w.* FROM (
                    SELECT c.*, count(*) OVER () AS available,
                           coalesce(sum(octet_length(c.data)) OVER (
                               ORDER BY c.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                    FROM (\(query.sql)) c
                ) w
                WHERE w.before <= \(budget)
            ) p ON true
            WHERE t.id = \(tenant)
            ORDER BY p.seq
            """
        var bindings = PostgresBindings()
        for argument in query.arguments {
            switch argument {
            case .text(let text): bindings.append(text)
            case .integer(let value): bindings.append(value)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
