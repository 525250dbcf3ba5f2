import Logging
import OutpostCore
import PostgresNIO

/// Scopes on PostgreSQL: the tenant's scopes, nodes' attributes, buckets and exits.
extension PostgresHubStorage {
    package func scopes(tenant: String) async throws -> ScopeRules {
        try await tenantText("scopes", tenant: tenant).map { text throws(OutpostError) in try ScopeRules(parsing: text)
        }
            ?? ScopeRules()
    }

    /// A text column of the tenant named `tenant` (`scopes`, `rules`).
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    private func tenantText(_ column: String, tenant: String) async throws -> String? {
        let query = PostgresQuery(
            unsafeSQL: "SELECT \(column) FROM outpost_tenants WHERE name = $1",
            binds: {
                var binds = PostgresBindings()
                binds.append(tenant)
                return binds
            }()
        )
        for try await text in try await client.query(query, logger: logger).decode(String?.self) {
            return text
        }
        throw HubAdminError.unknownTenant(tenant)
    }

    package func setScopes(tenant: String, rules: ScopeRules) async throws -> Int {
        let logger = self.logger
        let (moved, tenantID) = try await unwrappingTransactionErrors {
            try await self.client.withTransaction(logger: logger) { connection in
                var found: (id: String, scopes: String?, last: Int64)?
                for try await (id, scopes, last) in try await connection.query(
                    "SELECT id, scopes, last_seq FROM outpost_tenants WHERE name = \(tenant) FOR UPDATE",
                    logger: logger
                ).decode((String, String?, Int64).self) {
                    found = (id, scopes, last)
                }
                guard let found else { throw HubAdminError.unknownTenant(tenant) }
                var last = found.last
                // Scopes this hub cannot read (a newer hub's) are replaced as if there were none.
                let old = found.scopes.flatMap { try? ScopeRules(parsing: $0) } ?? ScopeRules()
                let nodes = try await Self.liveNodes(tenantID: found.id, on: connection, logger: logger)
                let buckets = ScopeChange.buckets(of: nodes, from: old, to: rules)
                let changes = buckets.compactMap(ScopeChange.init)
                // What each node stops receiving, as the rows stand before they move.
                for change in changes {
                    last = try await Self.deliver(
                        change.lost,
                        to: change.nodeID,
                        as: ScopeChange.leaving,
                        tenantID: found.id,
                        after: last,
                        on: connection,
                        logger: logger
                    )
                }
                let text: String? = rules.tables.isEmpty ? nil : rules.encoded()
                try await connection.query(
                    "UPDATE outpost_tenants SET scopes = \(text) WHERE id = \(found.id)",
                    logger: logger
                )
                var moves: [(row: StoredRow, from: String)] = []
                for table in rules.tablesChanged(since: old) {
                    var rebucketed: [(row: StoredRow, from: String)] = []
                    for try await (key, data, deleted, origin, bucket, version, hlc) in try await connection.query(
                        """
                        SELECT record_id, data::text, deleted, origin_node, bucket, version, hlc FROM outpost_records
                        WHERE tenant_id = \(found.id) AND table_name = \(table)
                        """,
                        logger: logger
                    ).decode((String, String?, Bool, String, String, Int64, Int64).self) {
                        let new = try rules.bucket(
                            table: table,
                            storedData: data,
                            deleted: deleted,
                            origin: origin,
                            key: key
                        )
                        guard new != bucket else { continue }
                        let row = StoredRow(
                            table: table,
                            key: key,
                            version: version,
                            data: nil,
                            deleted: deleted,
                            hlc: hlc,
                            origin: origin,
                            changeID: "",
                            sequence: 0,
                            bucket: new
                        )
                        rebucketed.append((row, bucket))
                    }
                    for index in rebucketed.indices where !rebucketed[index].row.deleted {
                        // A live row moves to a new place in the log, so the nodes of its new
                        // bucket get it; a tombstone only changes bucket.
                        last += 1
                        rebucketed[index].row.sequence = last
                    }
                    moves += rebucketed
                    guard !rebucketed.isEmpty else { continue }
                    let rows = rebucketed.map(\.row)
                    try await connection.query(
                        """
                        UPDATE outpost_records r SET bucket = u.b, seq = CASE WHEN r.deleted THEN r.seq ELSE u.s END
                        FROM unnest(\(rows.map(\.key))::text[], \(rows.map(\.bucket))::text[], \(rows.map(\.sequence))::int8[])
                            AS u(k, b, s)
                        WHERE r.tenant_id = \(found.id) AND r.table_name = \(table) AND r.record_id = u.k
                        """,
                        logger: logger
                    )
                }
                try await Self.record(
                    ScopeChange.exits(for: buckets, moves: moves, sequence: &last),
                    tenantID: found.id,
                    on: connection,
                    logger: logger
                )
                // What each node starts receiving, as the rows stand now.
                for change in changes {
                    last = try await Self.deliver(
                        change.gained,
                        to: change.nodeID,
                        as: ScopeChange.entering,
                        tenantID: found.id,
                        after: last,
                        on: connection,
                        logger: logger
                    )
                }
                try await connection.query(
                    "UPDATE outpost_tenants SET last_seq = \(last) WHERE id = \(found.id)",
                    logger: logger
                )
                return (moves.count, found.id)
            }
        }
        try await notify(tenantID)
        return moved
    }

    package func setAttributes(nodeID: String, attributes: NodeAttributes) async throws -> NodeInfo {
        let logger = self.logger
        let stored: String? = attributes.values.isEmpty ? nil : attributes.stored
        let tenantID: String? = try await unwrappingTransactionErrors {
            try await self.client.withTransaction(logger: logger) { connection in
                // Lock the tenant's row first, and read in a statement of its own: a statement that
                // waits for the lock reads other tables as they were when it began, so it would
                // miss the first push of a node committing meanwhile, take the node for one that
                // never synced, and take nothing back from it.
                _ = try await connection.query(
                    """
                    SELECT 1 FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id
                    WHERE n.id = \(nodeID) FOR UPDATE OF t
                    """,
                    logger: logger
                ).collect()
                var before:
                    (tenant: String, name: String, attributes: String?, scopes: String?, last: Int64, synced: Bool)?
                for try await row in try await connection.query(
                    """
                    SELECT n.tenant_id, n.name, n.attributes, t.scopes, t.last_seq,
                        (n.last_seen_at IS NOT NULL OR EXISTS (SELECT 1 FROM outpost_batches b
                                                               WHERE b.tenant_id = n.tenant_id AND b.node_id = n.id))
                    FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id
                    WHERE n.id = \(nodeID) AND n.revoked_at IS NULL
                    """,
                    logger: logger
                ).decode((String, String, String?, String?, Int64, Bool).self) {
                    before = row
                }
                guard let before else { return nil }
                try await connection.query(
                    "UPDATE outpost_nodes SET attributes = \(stored) WHERE id = \(nodeID)",
                    logger: logger
                )
                let old = try NodeScope.make(
                    scopes: before.scopes,
                    nodeID: nodeID,
                    nodeName: before.name,
                    attributes: before.attributes
                )
                let new = try NodeScope.make(
                    scopes: before.scopes,
                    nodeID: nodeID,
                    nodeName: before.name,
                    attributes: attributes.stored
                )
                // A node that never pulled or pushed holds nothing to take back, and gets what
                // its scope shows it by pulling from the start.
                guard before.synced, let change = ScopeChange(nodeID: nodeID, old: old, new: new) else {
                    return before.tenant
                }
                var last = before.last
                last = try await Self.deliver(
                    change.lost,
                    to: nodeID,
                    as: ScopeChange.leaving,
                    tenantID: before.tenant,
                    after: last,
                    on: connection,
                    logger: logger
                )
                last = try await Self.deliver(
                    change.gained,
                    to: nodeID,
                    as: ScopeChange.entering,
                    tenantID: before.tenant,
                    after: last,
                    on: connection,
                    logger: logger
                )
                try await connection.query(
                    "UPDATE outpost_tenants SET last_seq = \(last) WHERE id = \(before.tenant)",
                    logger: logger
                )
                return before.tenant
            }
        }
        guard let tenantID else { throw try await notLive(nodeID) }
        try await notify(tenantID)
        guard let node = try await nodeList(tenant: nil, id: nodeID).first else {
            throw HubAdminError.unknownNode(nodeID)
        }
        return node
    }

    /// Wakes the pulls waiting on `tenantID` in every hub process, after an operator's change.
    private func notify(_ tenantID: String) async throws {
        try await client.query("SELECT pg_notify(\(Self.changeChannel), \(tenantID))::text", logger: logger)
    }

    private static func liveNodes(
        tenantID: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [(id: String, name: String, attributes: NodeAttributes)] {
        var nodes: [(id: String, name: String, attributes: NodeAttributes)] = []
        for try await (id, name, attributes) in try await connection.query(
            """
            SELECT n.id, n.name, n.attributes FROM outpost_nodes n
            WHERE n.tenant_id = \(tenantID) AND n.revoked_at IS NULL
              AND (n.last_seen_at IS NOT NULL
                   OR EXISTS (SELECT 1 FROM outpost_batches b WHERE b.tenant_id = n.tenant_id AND b.node_id = n.id))
            """,
            logger: logger
        ).decode((String, String, String?).self) {
            nodes.append((id, name, NodeAttributes(stored: attributes)))
        }
        return nodes
    }

    /// Queues the live rows of `buckets` for one node alone, entering or leaving its scope, at
    /// the sequence numbers after `last`; returns the last one used.
    private static func deliver(
        _ buckets: [String],
        to nodeID: String,
        as direction: String,
        tenantID: String,
        after last: Int64,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int64 {
        guard !buckets.isEmpty else { return last }
        var count: Int64 = 0
        for try await inserted in try await connection.query(
            """
            WITH queued AS (
                INSERT INTO outpost_scope_exits
                    (tenant_id, bucket, seq, destination, table_name, record_id, version, hlc, origin_node)
                SELECT tenant_id, \(ScopeChange.nodeBucket(nodeID)), \(last) + row_number() OVER (ORDER BY seq),
                    \(direction), table_name, record_id, version, hlc, origin_node
                FROM outpost_records
                WHERE tenant_id = \(tenantID) AND NOT deleted AND bucket = ANY(\(buckets)::text[])
                RETURNING 1
            )
            SELECT count(*) FROM queued
            """,
            logger: logger
        ).decode(Int64.self) {
            count = inserted
        }
        return last + count
    }

    package func fileChunkLists(tenantID: String, scope: NodeScope) async throws -> [String] {
        var lists: [String] = []
        for try await (chunks, bucket, origin) in try await client.query(
            """
            SELECT data->>'chunks', bucket, origin_node FROM outpost_records
            WHERE tenant_id = \(tenantID) AND table_name = \(ChunkReachability.fileTable) AND NOT deleted
              AND data->>'chunks' IS NOT NULL
            """,
            logger: logger
        ).decode((String, String, String).self)
        where scope.sees(table: ChunkReachability.fileTable, bucket: bucket, origin: origin) {
            lists.append(chunks)
        }
        return lists
    }

    package func tenantRules(tenant: String) async throws -> String? {
        try await tenantText("rules", tenant: tenant)
    }

    package func tenantRules(tenantID: String) async throws -> String? {
        for try await text in try await client.query(
            "SELECT rules FROM outpost_tenants WHERE id = \(tenantID)",
            logger: logger
        ).decode(String?.self) {
            return text
        }
        return nil
    }

    package func setTenantRules(tenant: String, text: String?) async throws {
        for try await _ in try await client.query(
            "UPDATE outpost_tenants SET rules = \(text) WHERE name = \(tenant) RETURNING id",
            logger: logger
        ).decode(String.self) {
            return
        }
        throw HubAdminError.unknownTenant(tenant)
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

    /// A pull (``ScopedPullQuery``: the tenant's log, or a scoped node's buckets) as one
    /// statement: the tenant's floor, head and epoch with the page, cut at the byte budget
    /// inside PostgreSQL by a running sum of the rows' sizes. The same statement records the
    /// node's cursor (`cursor`, or nothing for a table-filtered pull), unless the cursor is
    /// below the floor and the node is told to re-sync: one round trip and one statement to
    /// parse and plan instead of two, for every pull a fleet makes.
    static func pullStatement(
        node: AuthenticatedNode,
        cursor: Int64,
        limit: Int,
        maximumBytes: Int,
        table: String?
    ) -> PostgresQuery {
        var query = ScopedPullQuery(node: node, cursor: cursor, limit: limit + 1, table: table, placeholders: .numbered)
        let budget = query.bind(.integer(Int64(maximumBytes)))
        let tenant = query.bind(.text(node.tenantID))
        let nodeID = query.bind(.text(node.id))
        let asked = query.bind(.integer(cursor))
        // A table-filtered pull says nothing about the node's cursor.
        let recorded = query.bind(.integer(table == nil ? cursor : 0))
        let sql = """
            WITH recorded AS (
                UPDATE outpost_nodes SET cursor = greatest(cursor, \(recorded)), last_seen_at = now()
                WHERE id = \(nodeID)
                  AND NOT (\(asked) > 0 AND \(asked) < (SELECT tombstone_floor FROM outpost_tenants WHERE id = \(tenant)))
            )
            SELECT t.tombstone_floor, t.last_seq, t.epoch, p.table_name, p.record_id, p.version, p.data,
                   p.deleted, p.hlc, p.origin_node, p.change_id, p.seq, p.available, p.priority::int8
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
            case .texts(let texts): bindings.append(texts)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
