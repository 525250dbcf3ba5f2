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
        try await tenantText("scopes", tenant: tenant).map { text throws(OutpostError) in try ScopeRules(parsing: text)
        }
            ?? ScopeRules()
    }

    /// A text column of the tenant named `tenant` (`scopes`, `rules`).
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    private func tenantText(_ column: String, tenant: String) async throws -> String? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT \(column) FROM outpost_tenants WHERE name = ?",
                    arguments: [tenant]
                )
            else { throw HubAdminError.unknownTenant(tenant) }
            return row[column]
        }
    }

    package func setScopes(tenant: String, rules: ScopeRules) async throws -> Int {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, scopes, last_seq FROM outpost_tenants WHERE name = ?",
                    arguments: [tenant]
                )
            else { throw HubAdminError.unknownTenant(tenant) }
            let tenantID: String = row["id"]
            var last: Int64 = row["last_seq"]
            // Scopes this hub cannot read (a newer hub's) are replaced as if there were none.
            let old = (row["scopes"] as String?).flatMap { try? ScopeRules(parsing: $0) } ?? ScopeRules()
            let nodes = ScopeChange.buckets(of: try Self.liveNodes(tenantID: tenantID, in: db), from: old, to: rules)
            let changes = nodes.compactMap(ScopeChange.init)
            // What each node stops receiving, as the rows stand before they move.
            for change in changes {
                last = try Self.deliver(
                    change.lost,
                    to: change.nodeID,
                    as: ScopeChange.leaving,
                    tenantID: tenantID,
                    after: last,
                    in: db
                )
            }
            try db.execute(
                sql: "UPDATE outpost_tenants SET scopes = ? WHERE id = ?",
                arguments: [rules.tables.isEmpty ? nil : rules.encoded(), tenantID]
            )
            var moves: [(row: StoredRow, from: String)] = []
            for table in rules.tablesChanged(since: old) {
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT record_id, data, deleted, origin_node, bucket, version, hlc FROM outpost_records
                        WHERE tenant_id = ? AND table_name = ?
                        """,
                    arguments: [tenantID, table]
                )
                var rebucketed: [(row: StoredRow, from: String)] = []
                while let row = try rows.next() {
                    let bucket = try rules.bucket(
                        table: table,
                        storedData: row["data"],
                        deleted: row["deleted"],
                        origin: row["origin_node"],
                        key: row["record_id"]
                    )
                    guard bucket != row["bucket"] as String else { continue }
                    let moved = StoredRow(
                        table: table,
                        key: row["record_id"],
                        version: row["version"],
                        data: nil,
                        deleted: row["deleted"],
                        hlc: row["hlc"],
                        origin: row["origin_node"],
                        changeID: "",
                        sequence: 0,
                        bucket: bucket
                    )
                    rebucketed.append((moved, row["bucket"]))
                }
                for (var row, from) in rebucketed {
                    // A live row moves to a new place in the log, so the nodes of its new bucket
                    // get it; a tombstone only changes bucket.
                    if !row.deleted {
                        last += 1
                        row.sequence = last
                    }
                    moves.append((row, from))
                    try db.execute(
                        sql: """
                            UPDATE outpost_records SET bucket = ?, seq = CASE WHEN deleted THEN seq ELSE ? END
                            WHERE tenant_id = ? AND table_name = ? AND record_id = ?
                            """,
                        arguments: [row.bucket, row.sequence, tenantID, table, row.key]
                    )
                }
            }
            try Self.record(ScopeChange.exits(for: nodes, moves: moves, sequence: &last), tenantID: tenantID, in: db)
            // What each node starts receiving, as the rows stand now.
            for change in changes {
                last = try Self.deliver(
                    change.gained,
                    to: change.nodeID,
                    as: ScopeChange.entering,
                    tenantID: tenantID,
                    after: last,
                    in: db
                )
            }
            try db.execute(sql: "UPDATE outpost_tenants SET last_seq = ? WHERE id = ?", arguments: [last, tenantID])
            return moves.count
        }
    }

    package func setAttributes(nodeID: String, attributes: NodeAttributes) async throws -> NodeInfo {
        try await pool.write { db in
            let before = try Row.fetchOne(
                db,
                sql: """
                    SELECT n.tenant_id, n.name, n.attributes, t.scopes, t.last_seq, \(Self.hasSynced) AS synced
                    FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id
                    WHERE n.id = ? AND n.revoked_at IS NULL
                    """,
                arguments: [nodeID]
            )
            guard let before else { throw try Self.notLive(nodeID, in: db) }
            try db.execute(
                sql: "UPDATE outpost_nodes SET attributes = ? WHERE id = ?",
                arguments: [attributes.values.isEmpty ? nil : attributes.stored, nodeID]
            )
            let (tenantID, name, scopes): (String, String, String?) = (
                before["tenant_id"], before["name"], before["scopes"]
            )
            let old = try NodeScope.make(
                scopes: scopes,
                nodeID: nodeID,
                nodeName: name,
                attributes: before["attributes"]
            )
            let new = try NodeScope.make(scopes: scopes, nodeID: nodeID, nodeName: name, attributes: attributes.stored)
            if before["synced"], let change = ScopeChange(nodeID: nodeID, old: old, new: new) {
                var last: Int64 = before["last_seq"]
                last = try Self.deliver(
                    change.lost,
                    to: nodeID,
                    as: ScopeChange.leaving,
                    tenantID: tenantID,
                    after: last,
                    in: db
                )
                last = try Self.deliver(
                    change.gained,
                    to: nodeID,
                    as: ScopeChange.entering,
                    tenantID: tenantID,
                    after: last,
                    in: db
                )
                try db.execute(
                    sql: "UPDATE outpost_tenants SET last_seq = ? WHERE id = ?",
                    arguments: [last, tenantID]
                )
            }
            return try Self.nodes(db, where: "n.id = ?", [nodeID])[0]
        }
    }

    /// Whether node `n` ever pulled or pushed: a node that did neither holds nothing to take
    /// back, and gets everything its scope shows it by pulling from the start.
    static let hasSynced = """
        (n.last_seen_at IS NOT NULL
            OR EXISTS (SELECT 1 FROM outpost_batches b WHERE b.tenant_id = n.tenant_id AND b.node_id = n.id))
        """

    /// The tenant's nodes that are not revoked and have synced, with what scopes need of them.
    private static func liveNodes(tenantID: String, in db: Database) throws -> [(
        id: String, name: String, attributes: NodeAttributes
    )] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT n.id, n.name, n.attributes FROM outpost_nodes n
                WHERE n.tenant_id = ? AND n.revoked_at IS NULL AND \(hasSynced)
                """,
            arguments: [tenantID]
        ).map { (id: $0["id"], name: $0["name"], attributes: NodeAttributes(stored: $0["attributes"])) }
    }

    /// Queues the live rows of `buckets` for one node alone, entering or leaving its scope, at
    /// the sequence numbers after `last`; returns the last one used.
    private static func deliver(
        _ buckets: [String],
        to nodeID: String,
        as direction: String,
        tenantID: String,
        after last: Int64,
        in db: Database
    ) throws -> Int64 {
        guard !buckets.isEmpty else { return last }
        try db.execute(
            sql: """
                INSERT INTO outpost_scope_exits
                    (tenant_id, bucket, seq, destination, table_name, record_id, version, hlc, origin_node)
                SELECT tenant_id, ?, ? + row_number() OVER (ORDER BY seq), ?, table_name, record_id, version, hlc,
                    origin_node
                FROM outpost_records
                WHERE tenant_id = ? AND deleted = 0 AND bucket IN (\(databaseQuestionMarks(count: buckets.count)))
                """,
            arguments: StatementArguments(
                [ScopeChange.nodeBucket(nodeID), last, direction, tenantID] as [any DatabaseValueConvertible]
                    + buckets.map { $0 as any DatabaseValueConvertible }
            )
        )
        return last + Int64(db.changesCount)
    }

    package func fileChunkLists(tenantID: String, scope: NodeScope) async throws -> [String] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT json_extract(data, '$.chunks') AS chunks, bucket, origin_node FROM outpost_records
                    WHERE tenant_id = ? AND table_name = ? AND deleted = 0
                        AND json_extract(data, '$.chunks') IS NOT NULL
                    """,
                arguments: [tenantID, ChunkReachability.fileTable]
            ).compactMap { row in
                scope.sees(table: ChunkReachability.fileTable, bucket: row["bucket"], origin: row["origin_node"])
                    ? row["chunks"] : nil
            }
        }
    }

    package func tenantRules(tenant: String) async throws -> String? {
        try await tenantText("rules", tenant: tenant)
    }

    package func tenantRules(tenantID: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT rules FROM outpost_tenants WHERE id = ?", arguments: [tenantID])
        }
    }

    package func setTenantRules(tenant: String, text: String?) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE outpost_tenants SET rules = ? WHERE name = ?", arguments: [text, tenant])
            if db.changesCount == 0 { throw HubAdminError.unknownTenant(tenant) }
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
                case .texts: preconditionFailure("lists are bound whole only in PostgreSQL's queries")
                }
            }
        )
    }
}
