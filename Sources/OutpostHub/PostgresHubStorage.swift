import Crypto
package import Foundation
import HTTPTypes
import Logging
import NIOCore
import OutpostCore
package import OutpostProtocol
package import PostgresNIO
import Synchronization

/// The hub's production backend: PostgreSQL through postgres-nio.
///
/// A push locks its tenant's row (`SELECT … FOR UPDATE`) for the length of its transaction, so
/// pushes of one tenant commit one after another and take sequence numbers in commit order:
/// a pull cursor cannot skip a change, even with several hub processes on one database. Each
/// batch is a handful of set-based statements (`unnest` of arrays), whatever its size.
///
/// Rows live in `outpost_records`, one per record, with the columns as `jsonb`:
///
/// ```sql
/// SELECT record_id, data->>'name' AS name FROM outpost_records
/// WHERE table_name = 'agents' AND NOT deleted;
/// ```
package final class PostgresHubStorage: HubStorage {
    package let backendName = "postgresql"
    package let client: PostgresClient
    let logger: Logger
    /// Refreshes the planner's statistics as pushes grow the table; must run beside the client
    /// (``HubDatabase/open(logger:)`` returns both as services).
    package let statisticsRefresher: PostgresStatisticsRefresher
    /// Whether the statements run for nearly every request (``PostgresHotStatements``) are
    /// prepared once per connection; off (`?prepared_statements=off`) behind a pooler that does
    /// not keep prepared statements.
    let preparesStatements: Bool

    /// - Parameter client: must be running (its `run()` is one of the application's services).
    package init(client: PostgresClient, logger: Logger, preparesStatements: Bool = true) {
        self.client = client
        self.logger = logger
        self.preparesStatements = preparesStatements
        statisticsRefresher = PostgresStatisticsRefresher(client: client, logger: logger)
    }

    /// The rows of one of the ``PostgresHotStatements``: prepared on the connection (once, by
    /// PostgresNIO) unless ``preparesStatements`` is off, then sent as the same text unprepared.
    func rows<Statement: PostgresPreparedStatement>(of statement: Statement) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        if preparesStatements {
            for try await row in try await client.execute(statement, logger: logger) { rows.append(row) }
        } else {
            let query = PostgresQuery(unsafeSQL: Statement.sql, binds: try statement.makeBindings())
            for try await row in try await client.query(query, logger: logger) {
                rows.append(try statement.decodeRow(row))
            }
        }
        return rows
    }

    package func migrate() async throws {
        // A database already at this schema is left alone, without the lock: a hub (or an admin
        // command) starting beside busy ones never queues behind another's migration.
        let stored = try await storedSchema { try await self.client.query($0, logger: self.logger) }
        try Self.refuseNewer(stored)
        if stored?.fingerprint == Self.migrationFingerprint { return }
        try await client.withTransaction(logger: logger) { connection in
            // Two hub processes starting together must not both create the tables.
            try await connection.query("SELECT pg_advisory_xact_lock(727166001)", logger: logger)
            try Self.refuseNewer(try await storedSchema { try await connection.query($0, logger: self.logger) })
            for statement in Self.migration {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS outpost_hub_schema (fingerprint TEXT NOT NULL)",
                logger: logger
            )
            try await connection.query(
                "ALTER TABLE outpost_hub_schema ADD COLUMN IF NOT EXISTS generation INTEGER NOT NULL DEFAULT 0",
                logger: logger
            )
            try await connection.query("DELETE FROM outpost_hub_schema", logger: logger)
            try await connection.query(
                """
                INSERT INTO outpost_hub_schema (fingerprint, generation)
                VALUES (\(Self.migrationFingerprint), \(Self.schemaGeneration))
                """,
                logger: logger
            )
        }
    }

    /// The statements ``migrate()`` runs, each idempotent.
    private static let migration = declarationsSchema + schema + declarationsSchema

    /// Names ``migration``'s text: any change to a statement makes the next start migrate again.
    static let migrationFingerprint = Hex.encode(Array(SHA256.hash(data: Data(migration.joined(separator: ";").utf8))))

    /// Counts the versions of ``migration``: raised with every change to its statements (a test
    /// pins ``migrationFingerprint`` to it), so a hub can tell a database a newer hub migrated,
    /// whose fingerprint it cannot know, and refuse it. Databases migrated before the count
    /// existed hold 0.
    static let schemaGeneration = 1

    /// The fingerprint and generation `outpost_hub_schema` holds; `nil` for a new database.
    /// `run` runs a query on the caller's client or connection.
    private func storedSchema(_ run: (PostgresQuery) async throws -> PostgresRowSequence) async throws -> (
        fingerprint: String, generation: Int
    )? {
        for try await exists in try await run("SELECT to_regclass('outpost_hub_schema') IS NOT NULL").decode(Bool.self)
        where !exists {
            return nil
        }
        // `generation` came after the table: read through the row as JSON, where a missing
        // column is only a missing member.
        let rows = try await run(
            "SELECT fingerprint, coalesce((to_jsonb(s) ->> 'generation')::int, 0) FROM outpost_hub_schema s"
        )
        for try await (fingerprint, generation) in rows.decode((String, Int).self) {
            return (fingerprint, generation)
        }
        return nil
    }

    private static func refuseNewer(_ stored: (fingerprint: String, generation: Int)?) throws {
        guard let stored, stored.generation > schemaGeneration else { return }
        throw HubAdminError.newerSchema(
            "schema generation \(stored.generation) (this hub knows up to \(schemaGeneration))"
        )
    }

    private static let schema = [
        """
        CREATE TABLE IF NOT EXISTS outpost_tenants (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            last_seq BIGINT NOT NULL DEFAULT 0,
            tombstone_floor BIGINT NOT NULL DEFAULT 0
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS outpost_nodes (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL REFERENCES outpost_tenants(id),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            revoked_at TIMESTAMPTZ,
            last_seen_at TIMESTAMPTZ,
            cursor BIGINT NOT NULL DEFAULT 0
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS outpost_records (
            tenant_id TEXT NOT NULL,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version BIGINT NOT NULL,
            data JSONB,
            deleted BOOLEAN NOT NULL DEFAULT false,
            hlc BIGINT NOT NULL,
            origin_node TEXT NOT NULL,
            change_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, table_name, record_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS outpost_records_by_seq ON outpost_records (tenant_id, seq)",
        // Keep statistics fresh for other clients (psql users) as the table grows.
        """
        ALTER TABLE outpost_records SET (autovacuum_analyze_scale_factor = 0.02,
                                         autovacuum_analyze_threshold = 1000)
        """,
        """
        CREATE TABLE IF NOT EXISTS outpost_batches (
            tenant_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            node_id TEXT NOT NULL,
            response TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, batch_id)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS outpost_chunks (
            tenant_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            flags SMALLINT NOT NULL,
            data BYTEA NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, hash)
        )
        """,
        // Chunks no live file reaches, since when: collected once they have waited a lease.
        """
        CREATE TABLE IF NOT EXISTS outpost_chunk_orphans (
            tenant_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            since TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, hash)
        )
        """,
        // Chunks are compressed (or incompressible) already: keep TOAST from trying again. Only
        // when not yet so: ALTER TABLE locks the table, and another hub process may be serving.
        """
        DO $$
        BEGIN
            IF (SELECT attstorage FROM pg_attribute
                WHERE attrelid = to_regclass('outpost_chunks') AND attname = 'data') <> 'e' THEN
                ALTER TABLE outpost_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
            END IF;
        END
        $$
        """,
        """
        CREATE TABLE IF NOT EXISTS outpost_columns (
            tenant_id TEXT NOT NULL,
            table_name TEXT NOT NULL,
            column_name TEXT NOT NULL,
            PRIMARY KEY (tenant_id, table_name, column_name)
        )
        """,
        // Columns added later, each only when missing (``addingColumns(_:)``).
        addingColumns([
            ("outpost_tenants", "epoch", "BIGINT NOT NULL DEFAULT 0")
        ]),
        // Client certificates: the one a node's token is bound to, and tenants that require one.
        addingColumns([
            ("outpost_nodes", "client_certificate", "TEXT"),
            ("outpost_tenants", "requires_client_certificate", "BOOLEAN NOT NULL DEFAULT false"),
        ]),
        // Each node's last status report, for the dashboard.
        addingColumns([
            ("outpost_nodes", "reported_at", "TIMESTAMPTZ"),
            ("outpost_nodes", "reported_version", "TEXT"),
            ("outpost_nodes", "reported_pending", "INTEGER"),
            ("outpost_nodes", "reported_failed", "INTEGER"),
            ("outpost_nodes", "reported_parked", "INTEGER"),
        ]),
        // Random and never 0: a restored hub must not hand out an epoch a node has seen.
        "UPDATE outpost_tenants SET epoch = 1 + floor(random() * 9.2e18)::bigint WHERE epoch = 0",
        // A digest of each stored batch, so a reused batch_id with other changes is refused.
        addingColumns([
            ("outpost_batches", "digest", "TEXT")
        ]),
        // Scopes: a tenant's scopes, a node's attributes, and each row's bucket (indexed with its
        // sequence number, so a scoped pull reads one range per bucket).
        addingColumns([
            ("outpost_tenants", "scopes", "TEXT"),
            ("outpost_nodes", "attributes", "TEXT"),
            ("outpost_records", "bucket", "TEXT NOT NULL DEFAULT ''"),
            ("outpost_tenants", "rules", "TEXT"),
        ]),
        "CREATE INDEX IF NOT EXISTS outpost_records_by_bucket ON outpost_records (tenant_id, bucket, seq)",
        // Site hubs that push on behalf of the nodes behind them.
        addingColumns([
            ("outpost_nodes", "relays", "BOOLEAN NOT NULL DEFAULT false"),
            // The push priority a node gave each row's change, for a site hub's relay.
            ("outpost_records", "priority", "INTEGER"),
        ]),
        """
        CREATE TABLE IF NOT EXISTS outpost_scope_exits (
            tenant_id TEXT NOT NULL,
            bucket TEXT NOT NULL,
            seq BIGINT NOT NULL,
            destination TEXT NOT NULL,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version BIGINT NOT NULL,
            hlc BIGINT NOT NULL,
            origin_node TEXT NOT NULL,
            PRIMARY KEY (tenant_id, bucket, seq)
        )
        """,
    ]

    /// A statement that adds each column only when it is missing: even a no-op `ADD COLUMN IF
    /// NOT EXISTS` locks the table, and deadlocked with a push through another hub process at
    /// each start.
    private static func addingColumns(_ columns: [(table: String, column: String, definition: String)]) -> String {
        let checks = columns.map { table, column, definition in
            """
                IF NOT EXISTS (SELECT 1 FROM pg_attribute
                               WHERE attrelid = to_regclass('\(table)') AND attname = '\(column)'
                                 AND NOT attisdropped) THEN
                    ALTER TABLE \(table) ADD COLUMN \(column) \(definition);
                END IF;
            """
        }
        return "DO $$\nBEGIN\n" + checks.joined(separator: "\n") + "\nEND\n$$"
    }

    package var pingsOverNetwork: Bool { true }

    package func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    // MARK: Administration

    package func addTenant(name: String) async throws -> TenantInfo {
        try HubAdminError.checkTenantName(name)
        var ids = UUIDv7()
        let id = ids.next()
        do {
            let rows = try await client.query(
                """
                INSERT INTO outpost_tenants (id, name, epoch) VALUES (\(id), \(name), \(PullRules.newEpoch()))
                RETURNING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
                """,
                logger: logger
            )
            for try await created in rows.decode(String.self) {
                return TenantInfo(id: id, name: name, createdAt: created)
            }
            return TenantInfo(id: id, name: name, createdAt: "")
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw HubAdminError.duplicateTenant(name)
        }
    }

    package func tenants() async throws -> [TenantInfo] {
        let rows = try await client.query(
            """
            SELECT id, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                   requires_client_certificate
            FROM outpost_tenants ORDER BY name
            """,
            logger: logger
        )
        var tenants: [TenantInfo] = []
        for try await (id, name, created, requires) in rows.decode((String, String, String, Bool).self) {
            tenants.append(TenantInfo(id: id, name: name, createdAt: created, requiresClientCertificate: requires))
        }
        return tenants
    }

    package func addNode(tenant: String, name: String, tokenHash: String) async throws -> NodeInfo {
        var ids = UUIDv7()
        let id = ids.next()
        let rows = try await client.query(
            """
            INSERT INTO outpost_nodes (id, tenant_id, name, token_hash)
            SELECT \(id), t.id, \(name), \(tokenHash) FROM outpost_tenants t WHERE t.name = \(tenant)
            RETURNING id
            """,
            logger: logger
        )
        var inserted = false
        for try await _ in rows.decode(String.self) { inserted = true }
        guard inserted else { throw HubAdminError.unknownTenant(tenant) }
        return try await nodeList(tenant: nil, id: id)[0]
    }

    package func nodeNames(tenantID: String) async throws -> [(id: String, name: String)] {
        var names: [(id: String, name: String)] = []
        for try await (id, name) in try await client.query(
            "SELECT id, name FROM outpost_nodes WHERE tenant_id = \(tenantID) ORDER BY created_at, id",
            logger: logger
        ).decode((String, String).self) {
            names.append((id, name))
        }
        return names
    }

    package func nodes(tenant: String?) async throws -> [NodeInfo] {
        if let tenant, try await !tenants().contains(where: { $0.name == tenant }) {
            throw HubAdminError.unknownTenant(tenant)
        }
        return try await nodeList(tenant: tenant, id: nil)
    }

    func nodeList(tenant: String?, id: String?) async throws -> [NodeInfo] {
        let rows = try await client.query(
            """
            SELECT n.id, t.name, n.name,
                   to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                   to_char(n.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                   to_char(n.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                   n.cursor, t.last_seq, n.client_certificate,
                   to_char(n.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), n.reported_version,
                   n.reported_pending, n.reported_failed, n.reported_parked, n.attributes, n.relays
            FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id
            WHERE (\(tenant)::text IS NULL OR t.name = \(tenant)) AND (\(id)::text IS NULL OR n.id = \(id))
            ORDER BY t.name, n.created_at, n.id
            """,
            logger: logger
        )
        var nodes: [NodeInfo] = []
        for try await row in rows.decode(
            (
                String, String, String, String, String?, String?, Int64, Int64, String?, String?, String?, Int32?,
                Int32?, Int32?, String?, Bool
            ).self
        ) {
            let (id, tenant, name, created, revoked, seen, cursor, head, certificate) = (
                row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8
            )
            var node = NodeInfo(
                id: id,
                tenant: tenant,
                name: name,
                createdAt: created,
                revokedAt: revoked,
                lastSeenAt: seen,
                cursor: cursor,
                head: head
            )
            node.clientCertificate = certificate
            node.reportedAt = row.9
            node.version = row.10
            node.pending = row.11.map(Int.init)
            node.failed = row.12.map(Int.init)
            node.parked = row.13.map(Int.init)
            node.attributes = NodeAttributes(stored: row.14).values
            node.relays = row.15
            nodes.append(node)
        }
        return nodes
    }

    package func renewEpoch(tenant: String?) async throws -> Int {
        var renewed = 0
        for try await id in try await client.query(
            "SELECT id FROM outpost_tenants WHERE \(tenant)::text IS NULL OR name = \(tenant)::text",
            logger: logger
        ).decode(String.self) {
            try await client.query(
                "UPDATE outpost_tenants SET epoch = \(PullRules.newEpoch()) WHERE id = \(id)",
                logger: logger
            )
            renewed += 1
        }
        if let tenant, renewed == 0 { throw HubAdminError.unknownTenant(tenant) }
        return renewed
    }

    package func revokeNode(id: String) async throws {
        let rows = try await client.query(
            "UPDATE outpost_nodes SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) RETURNING id",
            logger: logger
        )
        var found = false
        for try await _ in rows.decode(String.self) { found = true }
        guard found else { throw HubAdminError.unknownNode(id) }
        // Running hubs end the node's waiting pulls at once.
        try await client.query(
            "SELECT pg_notify(\(Self.changeChannel), \(SequenceNotifier.everyTenant))::text",
            logger: logger
        )
    }

    package func removeTenant(name: String) async throws -> RemovedTenant {
        let logger = self.logger
        let removed: RemovedTenant
        do {
            removed = try await remove(tenant: name)
        } catch let error as PostgresTransactionError {
            if let refusal = error.closureError as? OutpostError { throw refusal }
            throw error
        }
        // Running hubs end the removed nodes' waiting pulls at once.
        try await client.query(
            "SELECT pg_notify(\(Self.changeChannel), \(SequenceNotifier.everyTenant))::text",
            logger: logger
        )
        return removed
    }

    private func remove(tenant name: String) async throws -> RemovedTenant {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection in
            var tenantID: String?
            for try await id in try await connection.query(
                "SELECT id FROM outpost_tenants WHERE name = \(name) FOR UPDATE",
                logger: logger
            ).decode(String.self) { tenantID = id }
            guard let tenantID else { throw HubAdminError.unknownTenant(name) }
            var counts: [String: Int] = [:]
            for table in SQLiteHubStorage.tenantTables {
                var deleted = 0
                for try await _ in try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "DELETE FROM \(table) WHERE tenant_id = $1 RETURNING 1",
                        binds: Self.binds(tenantID)
                    ),
                    logger: logger
                ).decode(Int.self) { deleted += 1 }
                counts[table] = deleted
            }
            try await connection.query("DELETE FROM outpost_tenants WHERE id = \(tenantID)", logger: logger)
            return RemovedTenant(
                tenant: name,
                nodes: counts["outpost_nodes"] ?? 0,
                rows: counts["outpost_records"] ?? 0,
                chunks: counts["outpost_chunks"] ?? 0
            )
        }
    }

    private static func binds(_ value: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }

    package func rotateToken(id: String, tokenHash: String) async throws -> NodeInfo {
        let rows = try await client.query(
            """
            UPDATE outpost_nodes SET token_hash = \(tokenHash) WHERE id = \(id) AND revoked_at IS NULL RETURNING id
            """,
            logger: logger
        )
        var found = false
        for try await _ in rows.decode(String.self) { found = true }
        guard found else { throw try await notLive(id) }
        // Running hubs end the old token's waiting pulls at once.
        try await client.query(
            "SELECT pg_notify(\(Self.changeChannel), \(SequenceNotifier.everyTenant))::text",
            logger: logger
        )
        guard let node = try await nodeList(tenant: nil, id: id).first else { throw HubAdminError.unknownNode(id) }
        return node
    }

    /// Why node `id` could not be changed: it was revoked, or there is no such node.
    func notLive(_ id: String) async throws -> OutpostError {
        let known = try await client.query("SELECT id FROM outpost_nodes WHERE id = \(id)", logger: logger)
        for try await _ in known.decode(String.self) { return HubAdminError.revokedNode(id) }
        return HubAdminError.unknownNode(id)
    }

    /// The `LISTEN`/`NOTIFY` channel of tenant changes; a notification's payload is a tenant id.
    static let changeChannel = "outpost_changes"

    package func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.changeChannel) { notifications in
                for try await notification in notifications { changed(notification.payload) }
            }
        }
    }

    package func authenticate(tokenHash: String) async throws -> AuthenticatedNode? {
        try await rows(of: PostgresHotStatements.Authenticate(tokenHash: tokenHash)).first.map {
            try Self.authenticatedNode($0, tokenHash: tokenHash)
        }
    }

    private static func authenticatedNode(
        _ columns: PostgresHotStatements.NodeColumns,
        tokenHash: String
    ) throws -> AuthenticatedNode {
        let (id, tenantID, certificate, requires, name, attributes, scopes, relays) = columns
        var node = AuthenticatedNode(
            id: id,
            tenantID: tenantID,
            tokenHash: tokenHash,
            clientCertificate: certificate,
            tenantRequiresClientCertificate: requires,
            scope: try NodeScope.make(scopes: scopes, nodeID: id, nodeName: name, attributes: attributes)
        )
        node.relays = relays
        return node
    }

    package func setRelays(nodeID: String, relays: Bool) async throws -> NodeInfo {
        let rows = try await client.query(
            "UPDATE outpost_nodes SET relays = \(relays) WHERE id = \(nodeID) AND revoked_at IS NULL RETURNING id",
            logger: logger
        )
        var found = false
        for try await _ in rows.decode(String.self) { found = true }
        guard found else { throw try await notLive(nodeID) }
        guard let node = try await nodeList(tenant: nil, id: nodeID).first else {
            throw HubAdminError.unknownNode(nodeID)
        }
        return node
    }

    package func setClientCertificate(nodeID: String, fingerprint: String?) async throws -> NodeInfo {
        let rows = try await client.query(
            """
            UPDATE outpost_nodes SET client_certificate = \(fingerprint)
            WHERE id = \(nodeID) AND revoked_at IS NULL RETURNING id
            """,
            logger: logger
        )
        var found = false
        for try await _ in rows.decode(String.self) { found = true }
        guard found else { throw try await notLive(nodeID) }
        guard let node = try await nodeList(tenant: nil, id: nodeID).first else {
            throw HubAdminError.unknownNode(nodeID)
        }
        return node
    }

    package func recordReport(nodeID: String, report: NodeReport) async throws {
        let (pending, failed, parked) = (Int32(report.pending), Int32(report.failed), Int32(report.parked))
        try await client.query(
            """
            UPDATE outpost_nodes SET reported_at = now(), reported_version = \(report.version),
                reported_pending = \(pending), reported_failed = \(failed), reported_parked = \(parked)
            WHERE id = \(nodeID)
            """,
            logger: logger
        )
    }

    package func chunkUsage() async throws -> [ChunkUsage] {
        var usage: [ChunkUsage] = []
        for try await (name, chunks, bytes) in try await client.query(
            """
            SELECT t.name, count(*), coalesce(sum(octet_length(c.data)), 0)::bigint
            FROM outpost_chunks c JOIN outpost_tenants t ON t.id = c.tenant_id
            GROUP BY t.name ORDER BY t.name
            """,
            logger: logger
        ).decode((String, Int64, Int64).self) {
            usage.append(ChunkUsage(tenant: name, chunks: Int(chunks), bytes: bytes))
        }
        return usage
    }

    package func setRequiresClientCertificate(tenant: String, required: Bool) async throws {
        let rows = try await client.query(
            "UPDATE outpost_tenants SET requires_client_certificate = \(required) WHERE name = \(tenant) RETURNING id",
            logger: logger
        )
        for try await _ in rows.decode(String.self) { return }
        throw HubAdminError.unknownTenant(tenant)
    }

    // MARK: Sync

    package func push(_ request: PushBatch, from node: AuthenticatedNode, validator: BatchValidator) async throws
        -> PushOutcome
    {
        let logger = self.logger
        let outcome = try await unwrappingTransactionErrors {
            try await self.client.withTransaction(logger: logger) { connection in
                let outcome = try await Self.push(
                    request,
                    from: node,
                    validator: validator,
                    on: connection,
                    logger: logger
                )
                // Delivered at commit to every hub process listening (``followChanges(_:)``).
                if outcome.applied > 0 {
                    try await connection.query(
                        "SELECT pg_notify(\(Self.changeChannel), \(node.tenantID))::text",
                        logger: logger
                    )
                }
                return outcome
            }
        }
        statisticsRefresher.recordWritten(outcome.applied)
        return outcome
    }

    /// The push transaction's body; see ``PushPlan`` for the decisions.
    private static func push(
        _ request: PushBatch,
        from node: AuthenticatedNode,
        validator: BatchValidator,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> PushOutcome {
        // One round trip: lock the tenant's counter row, look for a stored answer to this batch,
        // and read the tenant's known columns. A statement that had to wait for the lock reads
        // the other tables as they were when it began, and so misses what the push that held the
        // lock wrote: the stored answer when that push was this very batch (a node retrying while
        // its first attempt committed, which then applied again and failed on the batch's key),
        // columns it learned. It knows it waited because the row version it locked is not the one
        // its snapshot sees; it then reads again, in a statement of its own (taken after the
        // lock, so current). The common push, which waits for no one, keeps one round trip.
        var lastSequence: Int64 = 0
        var tombstoneFloor: Int64 = 0
        var known: [String: Set<String>] = [:]
        var readIsCurrent = false
        while !readIsCurrent {
            readIsCurrent = true
            for try await (sequence, floor, storedNode, storedResponse, storedDigest, columns, waited)
                in try await connection.query(
                    """
                    SELECT t.last_seq, t.tombstone_floor,
                           (SELECT b.node_id FROM outpost_batches b WHERE b.tenant_id = t.id AND b.batch_id = \(request.batchID)),
                           (SELECT b.response FROM outpost_batches b WHERE b.tenant_id = t.id AND b.batch_id = \(request.batchID)),
                           (SELECT b.digest FROM outpost_batches b WHERE b.tenant_id = t.id AND b.batch_id = \(request.batchID)),
                           coalesce((SELECT array_agg(c.table_name || '.' || c.column_name) FROM outpost_columns c
                                     WHERE c.tenant_id = t.id), '{}'),
                           coalesce(NOT (t.xmin = (SELECT s.xmin FROM outpost_tenants s WHERE s.id = t.id)), true)
                    FROM outpost_tenants t WHERE t.id = \(node.tenantID) FOR UPDATE OF t
                    """,
                    logger: logger
                ).decode((Int64, Int64, String?, String?, String?, [String], Bool).self)
            {
                if waited {
                    readIsCurrent = false
                    continue
                }
                if let storedNode, let storedResponse {
                    return try PushOutcome.replay(
                        storedResponse,
                        storedNode: storedNode,
                        storedDigest: storedDigest,
                        node: node,
                        request: request
                    )
                }
                lastSequence = sequence
                tombstoneFloor = floor
                for qualified in columns {
                    let parts = qualified.split(separator: ".", maxSplits: 1).map(String.init)
                    if parts.count == 2 { known[parts[0], default: []].insert(parts[1]) }
                }
            }
        }
        let additions = try validator.validate(request, knownSchemas: known)

        // New rows first: an upsert of a row the node never saw (base version 0) is inserted as is
        // when the hub has no such row, which is the common case and needs no version lookup.
        // Rows that turn out to exist go through the lookup and the plan below, like every other
        // change. Every change keeps the sequence number of its place in the batch (see PushPlan).
        let sequences = PushPlan.sequences(after: lastSequence, count: request.changes.count)
        let newLastSequence = sequences.last ?? lastSequence
        let fresh = request.changes.indices.filter { index in
            let change = request.changes[index]
            // A scoped table's rows go through the plan, which checks the scope and sorts buckets.
            return change.operation == .upsert && change.baseVersion == 0 && !change.partial
                && node.scope?.rules.tables[change.table] == nil
        }
        var results = [ChangeResult?](repeating: nil, count: request.changes.count)
        let firstVersion = PushPlan.firstVersion(tombstoneFloor: tombstoneFloor)
        if !fresh.isEmpty {
            let changes = fresh.map { request.changes[$0] }
            for try await sequence in try await connection.query(
                """
                INSERT INTO outpost_records
                    (tenant_id, table_name, record_id, version, data, deleted, hlc, origin_node, change_id, seq,
                     priority)
                SELECT \(node.tenantID), t, k, \(firstVersion), d::jsonb, false, h, o, c, s, NULLIF(p, 0)
                FROM unnest(
                    \(changes.map(\.table))::text[], \(changes.map(\.key))::text[],
                    \(changes.map { $0.data?.text ?? "{}" })::text[], \(changes.map(\.hlc))::int8[],
                    \(changes.map { $0.origin ?? node.id })::text[],
                    \(changes.map(\.id))::text[], \(fresh.map { sequences[$0] })::int8[],
                    \(changes.map { Int64($0.priority ?? 0) })::int8[]
                ) AS w(t, k, d, h, o, c, s, p)
                ON CONFLICT (tenant_id, table_name, record_id) DO NOTHING
                RETURNING seq
                """,
                logger: logger
            ).decode(Int64.self) {
                // A change's sequence number is its place in the batch (see PushPlan.sequences).
                let index = Int(sequence - lastSequence - 1)
                guard results.indices.contains(index) else { continue }
                results[index] = ChangeResult(
                    changeID: request.changes[index].id,
                    status: .applied,
                    version: firstVersion,
                    sequence: sequence
                )
            }
        }
        let rest = request.changes.indices.filter { results[$0] == nil }

        var current: [RowKey: StoredRow] = [:]
        if !rest.isEmpty {
            for try await row in try await connection.query(
                """
                SELECT r.table_name, r.record_id, r.version, r.data::text, r.deleted, r.hlc, r.origin_node,
                       r.change_id, r.seq, r.bucket
                FROM unnest(\(rest.map { request.changes[$0].table })::text[], \(rest.map { request.changes[$0].key })::text[])
                    AS k(table_name, record_id)
                CROSS JOIN LATERAL (
                    -- One primary-key probe per key, whatever the planner believes about the table's
                    -- size (LIMIT keeps the subquery from being flattened into a join).
                    SELECT * FROM outpost_records r
                    WHERE r.tenant_id = \(node.tenantID) AND r.table_name = k.table_name
                      AND r.record_id = k.record_id
                    LIMIT 1
                ) r
                """,
                logger: logger
            ).decode(BucketedRowColumns.self) {
                var stored = Self.storedRow((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8))
                stored.bucket = row.9
                current[RowKey(table: row.0, key: row.1)] = stored
            }
        }
        let plan = try PushPlan(
            changes: rest.map { request.changes[$0] },
            sequences: rest.map { sequences[$0] },
            current: current,
            node: node.id,
            firstVersion: firstVersion,
            scope: node.scope,
            acceptsRefusals: node.acceptsRefusals
        )
        for (index, result) in zip(rest, plan.results) { results[index] = result }
        // One statement writes the rows, the new columns, the stored answer and the counter.
        let outcome = PushOutcome(PushResponse(results: results.compactMap { $0 }, sequence: newLastSequence))
        let writes = plan.writes
        let newColumns = additions.flatMap { table, columns in columns.map { (table, $0) } }
        try await record(request.declarations, tenantID: node.tenantID, on: connection, logger: logger)
        try await record(plan.exits, tenantID: node.tenantID, on: connection, logger: logger)
        try await connection.query(
            """
            WITH written AS (
                INSERT INTO outpost_records
                    (tenant_id, table_name, record_id, version, data, deleted, hlc, origin_node, change_id, seq,
                     bucket, priority)
                SELECT \(node.tenantID), t, k, v, NULLIF(d, '')::jsonb, x, h, o, c, s, b, NULLIF(p, 0)
                FROM unnest(
                    \(writes.map(\.table))::text[], \(writes.map(\.key))::text[], \(writes.map(\.version))::int8[],
                    \(writes.map { $0.data ?? "" })::text[], \(writes.map(\.deleted))::bool[],
                    \(writes.map(\.hlc))::int8[], \(writes.map(\.origin))::text[], \(writes.map(\.changeID))::text[],
                    \(writes.map(\.sequence))::int8[], \(writes.map(\.bucket))::text[],
                    \(writes.map { Int64($0.priority ?? 0) })::int8[]
                ) AS w(t, k, v, d, x, h, o, c, s, b, p)
                ON CONFLICT (tenant_id, table_name, record_id) DO UPDATE SET
                    version = excluded.version, data = excluded.data, deleted = excluded.deleted,
                    hlc = excluded.hlc, origin_node = excluded.origin_node, change_id = excluded.change_id,
                    seq = excluded.seq, bucket = excluded.bucket, priority = excluded.priority, updated_at = now()
            ),
            columns AS (
                INSERT INTO outpost_columns (tenant_id, table_name, column_name)
                SELECT \(node.tenantID), t, c
                FROM unnest(\(newColumns.map(\.0))::text[], \(newColumns.map(\.1))::text[]) AS a(t, c)
                ON CONFLICT DO NOTHING
            ),
            answer AS (
                INSERT INTO outpost_batches (tenant_id, batch_id, node_id, response, digest)
                VALUES (\(node.tenantID), \(request.batchID), \(node.id), \(outcome.body), \(request.digest))
            )
            UPDATE outpost_tenants SET last_seq = \(newLastSequence) WHERE id = \(node.tenantID)
            """,
            logger: logger
        )
        return outcome
    }

    /// The columns every row query selects, in order.
    private typealias RowColumns = (String, String, Int64, String?, Bool, Int64, String, String, Int64)
    /// ``RowColumns`` and the row's scope bucket.
    private typealias BucketedRowColumns = (String, String, Int64, String?, Bool, Int64, String, String, Int64, String)
    /// The tenant's floor, head and epoch, then a row of the page (all NULL when there is none)
    /// and how many rows the page's query saw.
    typealias PagedRowColumns = (
        Int64, Int64, Int64, String?, String?, Int64?, String?, Bool?, Int64?, String?, String?, Int64?, Int64?,
        Int64?
    )

    private static func storedRow(_ row: RowColumns) -> StoredRow {
        StoredRow(
            table: row.0,
            key: row.1,
            version: row.2,
            data: row.3,
            deleted: row.4,
            hlc: row.5,
            origin: row.6,
            changeID: row.7,
            sequence: row.8
        )
    }

    /// Errors thrown inside a transaction come back wrapped; a refusal (``HubError``, or an
    /// administrative ``OutpostError`` such as an unknown tenant) must reach the caller as
    /// itself, not as a database failure.
    func unwrappingTransactionErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresTransactionError {
            if let refusal = error.closureError as? HubError { throw refusal }
            if let refusal = error.closureError as? OutpostError { throw refusal }
            throw error
        }
    }

    package func pull(
        for node: AuthenticatedNode,
        after cursor: Int64,
        limit: Int,
        maximumBytes: Int,
        table: String?
    ) async throws -> PullPage {
        var (floor, head, epoch): (Int64, Int64, Int64) = (0, 0, 0)
        var rows: [StoredRow] = []
        var available = 0
        // One statement, so one snapshot: the tombstone floor and the rows agree even when a
        // collection commits meanwhile (read apart, a node could miss deletions without a 410).
        // Rows after the byte budget stay in PostgreSQL: only the first row past it comes back,
        // to say "more" (``pullStatement(node:cursor:limit:maximumBytes:table:)``).
        let statement = Self.pullStatement(
            node: node,
            cursor: cursor,
            limit: limit,
            maximumBytes: maximumBytes,
            table: table
        )
        for result in try await pullRows(statement) {
            (floor, head, epoch) = (result.0, result.1, result.2)
            if let table = result.3, let key = result.4, let version = result.5, let deleted = result.7,
                let hlc = result.8, let origin = result.9, let changeID = result.10, let sequence = result.11
            {
                var row = Self.storedRow((table, key, version, result.6, deleted, hlc, origin, changeID, sequence))
                row.priority = result.13.map { Int($0) }
                rows.append(row)
                available = Int(result.12 ?? 0)
            }
        }
        // The statement recorded the node's cursor unless it is below the floor.
        if cursor > 0, cursor < floor { throw PullRules.resyncRequired(cursor: cursor, floor: floor) }
        return PullRules.page(
            rows: rows,
            available: available,
            after: cursor,
            limit: limit,
            maximumBytes: maximumBytes,
            epoch: epoch,
            head: head
        )
    }

    /// A pull's rows, through the prepared statement of its shape.
    private func pullRows(_ statement: PostgresQuery) async throws -> [PagedRowColumns] {
        for shape in PostgresHotStatements.pullShapes {
            if let rows = try await pullRows(statement, as: shape) { return rows }
        }
        // Only a change to the pull's builder that no shape was made again for comes here.
        return try await client.query(statement, logger: logger).decode(PagedRowColumns.self)
            .reduce(into: []) { $0.append($1) }
    }

    private func pullRows<Shape: PostgresHotStatements.PullShape>(_ statement: PostgresQuery, as _: Shape.Type)
        async throws -> [PagedRowColumns]?
    {
        guard let prepared = PostgresHotStatements.Pull<Shape>(statement) else { return nil }
        return try await rows(of: prepared)
    }

    package func digest(_ request: DigestRequest, tenantID: String, scope: NodeScope?) async throws -> DigestAnswer {
        let sequence = try await lastSequence(tenantID: tenantID)
        var digest = DigestAccumulator(request, sequence: sequence)
        for try await (key, version, rowSequence, deleted, data, bucket, origin) in try await client.query(
            """
            SELECT record_id, version, seq, deleted, data::text, bucket, origin_node FROM outpost_records
            WHERE tenant_id = \(tenantID) AND table_name = \(request.table)
            """,
            logger: logger
        ).decode((String, Int64, Int64, Bool, String?, String, String).self) {
            if let scope, !scope.sees(table: request.table, bucket: bucket, origin: origin) { continue }
            try digest.add(key: key, version: version, sequence: rowSequence, deleted: deleted) {
                try StoredRow.parse(data, table: request.table, key: key)
            }
        }
        return digest.answer
    }

    package func waitState(of node: AuthenticatedNode) async throws -> (sequence: Int64, current: AuthenticatedNode?) {
        let statement = PostgresHotStatements.WaitState(tokenHash: node.tokenHash, nodeID: node.id)
        for columns in try await rows(of: statement) {
            let (sequence, revoked) = (columns.0, columns.1)
            guard !revoked else { return (sequence, nil) }
            return (
                sequence,
                try Self.authenticatedNode(
                    (columns.2, columns.3, columns.4, columns.5, columns.6, columns.7, columns.8, columns.9),
                    tokenHash: node.tokenHash
                )
            )
        }
        return (0, nil)
    }

    package func lastSequence(tenantID: String) async throws -> Int64 {
        for try await value in try await client.query(
            "SELECT last_seq FROM outpost_tenants WHERE id = \(tenantID)",
            logger: logger
        ).decode(Int64.self) {
            return value
        }
        return 0
    }

    package func collectGarbage(lease: Duration, now: Date) async throws -> GarbageReport {
        let cutoff = PullRules.timestamp(now.addingTimeInterval(-Double(lease.components.seconds))) + "+00"
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection in
            var report = GarbageReport(tombstones: 0, batches: 0)
            for try await count in try await connection.query(
                """
                WITH live AS (
                    SELECT t.id AS tenant_id,
                           coalesce((SELECT min(n.cursor) FROM outpost_nodes n
                                     WHERE n.tenant_id = t.id AND n.revoked_at IS NULL
                                       AND coalesce(n.last_seen_at, n.created_at) >= \(cutoff)::timestamptz),
                                    9223372036854775807) AS floor
                    FROM outpost_tenants t
                ),
                gone AS (
                    DELETE FROM outpost_records r USING live
                    WHERE r.tenant_id = live.tenant_id AND r.deleted
                      AND (r.seq <= live.floor OR r.updated_at < \(cutoff)::timestamptz)
                    RETURNING r.tenant_id, r.seq
                ),
                raised AS (
                    UPDATE outpost_tenants t SET tombstone_floor = greatest(t.tombstone_floor, g.top)
                    FROM (SELECT tenant_id, max(seq) AS top FROM gone GROUP BY tenant_id) g
                    WHERE t.id = g.tenant_id
                )
                SELECT count(*) FROM gone
                """,
                logger: logger
            ).decode(Int64.self) {
                report.tombstones = Int(count)
            }
            // Rows that left scopes, once every live node has pulled past them; a node away
            // longer re-syncs (the floor rises past them), which drops them as well.
            try await connection.query(
                """
                WITH live AS (
                    SELECT t.id AS tenant_id,
                           coalesce((SELECT min(n.cursor) FROM outpost_nodes n
                                     WHERE n.tenant_id = t.id AND n.revoked_at IS NULL
                                       AND coalesce(n.last_seen_at, n.created_at) >= \(cutoff)::timestamptz),
                                    9223372036854775807) AS floor
                    FROM outpost_tenants t
                ),
                gone AS (
                    DELETE FROM outpost_scope_exits x USING live
                    WHERE x.tenant_id = live.tenant_id AND x.seq <= live.floor
                    RETURNING x.tenant_id, x.seq
                )
                UPDATE outpost_tenants t SET tombstone_floor = greatest(t.tombstone_floor, g.top)
                FROM (SELECT tenant_id, max(seq) AS top FROM gone GROUP BY tenant_id) g
                WHERE t.id = g.tenant_id
                """,
                logger: logger
            )
            for try await count in try await connection.query(
                """
                WITH gone AS (DELETE FROM outpost_batches WHERE created_at < \(cutoff)::timestamptz RETURNING 1)
                SELECT count(*) FROM gone
                """,
                logger: logger
            ).decode(Int64.self) {
                report.batches = Int(count)
            }
            var tenants: [(id: String, name: String)] = []
            for try await tenant in try await connection.query("SELECT id, name FROM outpost_tenants", logger: logger)
                .decode((String, String).self)
            {
                tenants.append((id: tenant.0, name: tenant.1))
            }
            for tenant in tenants {
                try await Self.collectChunks(
                    tenantID: tenant.id,
                    name: tenant.name,
                    cutoff: cutoff,
                    report: &report,
                    connection: connection,
                    logger: logger
                )
            }
            return report
        }
    }

    /// Marks the chunks no live file reaches as waiting, and removes those that have waited
    /// since before `cutoff`; a chunk reached again stops waiting.
    private static func collectChunks(
        tenantID: String,
        name: String,
        cutoff: String,
        report: inout GarbageReport,
        connection: PostgresConnection,
        logger: Logger
    ) async throws {
        var values: [String] = []
        for try await list in try await connection.query(
            """
            SELECT data->>'chunks' FROM outpost_records
            WHERE tenant_id = \(tenantID) AND table_name = \(ChunkReachability.fileTable) AND NOT deleted
              AND data->>'chunks' IS NOT NULL
            """,
            logger: logger
        ).decode(String.self) {
            values.append(list)
        }
        let lists = ChunkReachability.manifestLists(values)
        let manifests = Set(lists.joined())
        var frames: [ChunkFrame] = []
        for try await (hash, flags, data) in try await connection.query(
            """
            SELECT hash, flags, data FROM outpost_chunks
            WHERE tenant_id = \(tenantID) AND hash = ANY(\(Array(manifests)))
            """,
            logger: logger
        ).decode((String, Int16, ByteBuffer).self) {
            frames.append(ChunkFrame(hash: hash, flags: UInt8(flags), payload: Array(data.readableBytesView)))
        }
        guard let reachable = ChunkReachability.reachable(lists: lists, frames: frames) else {
            report.tenantsSkipped.append(name)
            return
        }
        var unreached: [String] = []
        for try await hash in try await connection.query(
            "SELECT hash FROM outpost_chunks WHERE tenant_id = \(tenantID)",
            logger: logger
        ).decode(String.self) where !reachable.contains(hash) {
            unreached.append(hash)
        }
        // Waiting rows of chunks reached again go; the unreached start waiting (or go on).
        try await connection.query(
            """
            DELETE FROM outpost_chunk_orphans
            WHERE tenant_id = \(tenantID) AND NOT (hash = ANY(\(unreached)))
            """,
            logger: logger
        )
        try await connection.query(
            """
            INSERT INTO outpost_chunk_orphans (tenant_id, hash)
            SELECT \(tenantID), unnest(\(unreached)::text[]) ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
        for try await (count, bytes) in try await connection.query(
            """
            WITH expired AS (
                DELETE FROM outpost_chunk_orphans
                WHERE tenant_id = \(tenantID) AND since < \(cutoff)::timestamptz
                RETURNING hash
            ),
            gone AS (
                DELETE FROM outpost_chunks c USING expired
                WHERE c.tenant_id = \(tenantID) AND c.hash = expired.hash
                RETURNING octet_length(c.data) AS size
            )
            SELECT count(*), coalesce(sum(size), 0)::bigint FROM gone
            """,
            logger: logger
        ).decode((Int64, Int64).self) {
            report.chunks += Int(count)
            report.chunkBytes += bytes
        }
        for try await count in try await connection.query(
            "SELECT count(*) FROM outpost_chunk_orphans WHERE tenant_id = \(tenantID)",
            logger: logger
        ).decode(Int64.self) {
            report.chunksWaiting += Int(count)
        }
    }

    // MARK: File chunks

    package func missingChunks(tenantID: String, hashes: [String]) async throws -> [String] {
        guard !hashes.isEmpty else { return [] }
        var present = Set<String>()
        for try await hash in try await client.query(
            "SELECT hash FROM outpost_chunks WHERE tenant_id = \(tenantID) AND hash = ANY(\(hashes))",
            logger: logger
        ).decode(String.self) {
            present.insert(hash)
        }
        return hashes.filter { !present.contains($0) }
    }

    package func claimChunks(tenantID: String, hashes: [String]) async throws -> [String] {
        guard !hashes.isEmpty else { return [] }
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection in
            // Deleting the waiting rows locks them: a collection that took them first has
            // removed the chunks by the time this reads, and one that comes after finds them gone.
            try await connection.query(
                "DELETE FROM outpost_chunk_orphans WHERE tenant_id = \(tenantID) AND hash = ANY(\(hashes))",
                logger: logger
            )
            var present = Set<String>()
            for try await hash in try await connection.query(
                "SELECT hash FROM outpost_chunks WHERE tenant_id = \(tenantID) AND hash = ANY(\(hashes))",
                logger: logger
            ).decode(String.self) {
                present.insert(hash)
            }
            return hashes.filter { !present.contains($0) }
        }
    }

    /// One statement for a request's chunks (`unnest` of arrays): a statement a chunk made a round
    /// trip of each (BENCHMARKS.md, `bench files`' upload row).
    package func storeChunks(tenantID: String, _ frames: [ChunkFrame]) async throws -> Int {
        guard !frames.isEmpty else { return 0 }
        let hashes = frames.map(\.hash)
        let flags = frames.map { Int16($0.flags) }
        let payloads = frames.map { ByteBuffer(bytes: $0.payload) }
        var stored = 0
        for try await _ in try await client.query(
            """
            INSERT INTO outpost_chunks (tenant_id, hash, flags, data)
            SELECT \(tenantID), c.hash, c.flags, c.data
            FROM unnest(\(hashes)::text[], \(flags)::int2[], \(payloads)::bytea[]) AS c(hash, flags, data)
            ON CONFLICT DO NOTHING RETURNING 1
            """,
            logger: logger
        ).decode(Int32.self) {
            stored += 1
        }
        return stored
    }

    package func chunks(tenantID: String, hashes: [String], maximumBytes: Int) async throws -> [ChunkFrame] {
        guard !hashes.isEmpty else { return [] }
        let limit = Int64(maximumBytes)
        var frames: [ChunkFrame] = []
        // In the order asked, and only as many as fit: the running total is summed in the query,
        // so the hub never loads more than one answer's worth.
        for try await (hash, flags, data) in try await client.query(
            """
            SELECT hash, flags, data FROM (
                SELECT c.hash, c.flags, c.data, u.ord,
                       sum(octet_length(c.data)) OVER (ORDER BY u.ord) - octet_length(c.data) AS before
                FROM unnest(\(hashes)::text[]) WITH ORDINALITY AS u(hash, ord)
                JOIN outpost_chunks c ON c.tenant_id = \(tenantID) AND c.hash = u.hash
            ) t
            WHERE before < \(limit) ORDER BY ord
            """,
            logger: logger
        ).decode((String, Int16, ByteBuffer).self) {
            frames.append(ChunkFrame(hash: hash, flags: UInt8(flags), payload: Array(data.readableBytesView)))
        }
        return frames
    }
}
