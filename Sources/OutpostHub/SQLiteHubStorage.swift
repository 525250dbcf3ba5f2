package import Foundation
import GRDB
import HTTPTypes
import OutpostCore
package import OutpostProtocol

/// The hub's embedded backend: one SQLite file, so `outpost hub serve` needs nothing installed.
///
/// SQLite has one writer at a time, so a push transaction is serialised with every other write:
/// sequence numbers follow commit order by construction. For several hub processes, use
/// PostgreSQL.
package final class SQLiteHubStorage: HubStorage {
    package let backendName = "sqlite"
    let pool: DatabasePool
    private let path: String

    package init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // FULL: a push the hub acknowledged survives a power cut. With NORMAL (WAL), the last
        // commits can roll back, and the hub would then hold fewer changes than it confirmed
        // while nodes believe them stored. The cost is one fsync per commit (BENCHMARKS.md).
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    package func migrate() async throws {
        let migrator = Self.migrator
        let known = Set(migrator.migrations)
        let unknown = try await pool.read { db in
            guard try db.tableExists("grdb_migrations") else { return [String]() }
            return try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations").subtracting(known).sorted()
        }
        guard unknown.isEmpty else {
            throw HubAdminError.newerSchema(
                "the schema change(s) " + unknown.map { "'\($0)'" }.joined(separator: ", ")
            )
        }
        try migrator.migrate(pool)
    }

    /// The hub's SQLite schema, as GRDB migrations.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tenants, nodes, records, batches, columns") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outpost_tenants (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                        last_seq INTEGER NOT NULL DEFAULT 0,
                        tombstone_floor INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE outpost_nodes (
                        id TEXT PRIMARY KEY,
                        tenant_id TEXT NOT NULL REFERENCES outpost_tenants(id),
                        name TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                        revoked_at TEXT,
                        last_seen_at TEXT,
                        cursor INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE outpost_records (
                        tenant_id TEXT NOT NULL,
                        table_name TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        data TEXT,
                        deleted INTEGER NOT NULL DEFAULT 0,
                        hlc INTEGER NOT NULL,
                        origin_node TEXT NOT NULL,
                        change_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                        PRIMARY KEY (tenant_id, table_name, record_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX outpost_records_by_seq ON outpost_records(tenant_id, seq);
                    CREATE TABLE outpost_batches (
                        tenant_id TEXT NOT NULL,
                        batch_id TEXT NOT NULL,
                        node_id TEXT NOT NULL,
                        response TEXT NOT NULL,
                        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                        PRIMARY KEY (tenant_id, batch_id)
                    );
                    CREATE TABLE outpost_columns (
                        tenant_id TEXT NOT NULL,
                        table_name TEXT NOT NULL,
                        column_name TEXT NOT NULL,
                        PRIMARY KEY (tenant_id, table_name, column_name)
                    );
                    """
            )
        }
        migrator.registerMigration("v2: file chunks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outpost_chunks (
                        tenant_id TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        flags INTEGER NOT NULL,
                        data BLOB NOT NULL,
                        created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                        PRIMARY KEY (tenant_id, hash)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v3: tenant epochs") { db in
            try db.execute(sql: "ALTER TABLE outpost_tenants ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0")
            for id in try String.fetchAll(db, sql: "SELECT id FROM outpost_tenants") {
                try db.execute(
                    sql: "UPDATE outpost_tenants SET epoch = ? WHERE id = ?",
                    arguments: [PullRules.newEpoch(), id]
                )
            }
        }
        migrator.registerMigration("v4: table declarations") { db in
            try db.execute(sql: Self.declarationsSchema)
        }
        migrator.registerMigration("v5: batch digests") { db in
            try db.execute(sql: "ALTER TABLE outpost_batches ADD COLUMN digest TEXT")
        }
        migrator.registerMigration("v6: token rotations, which other hub processes follow") { db in
            try db.execute(sql: "ALTER TABLE outpost_nodes ADD COLUMN token_rotations INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v7: chunks waiting to be collected") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outpost_chunk_orphans (
                        tenant_id TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        since TEXT NOT NULL,
                        PRIMARY KEY (tenant_id, hash)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v8: client certificates per node and tenant") { db in
            try db.execute(sql: "ALTER TABLE outpost_nodes ADD COLUMN client_certificate TEXT")
            try db.execute(
                sql: "ALTER TABLE outpost_tenants ADD COLUMN requires_client_certificate INTEGER NOT NULL DEFAULT 0"
            )
        }
        migrator.registerMigration("v9: nodes' status reports") { db in
            for column in [
                "reported_at TEXT", "reported_version TEXT", "reported_pending INTEGER", "reported_failed INTEGER",
                "reported_parked INTEGER",
            ] {
                try db.execute(sql: "ALTER TABLE outpost_nodes ADD COLUMN \(column)")
            }
        }
        migrator.registerMigration("v10: scopes") { db in
            try db.execute(sql: "ALTER TABLE outpost_tenants ADD COLUMN scopes TEXT")
            try db.execute(sql: "ALTER TABLE outpost_nodes ADD COLUMN attributes TEXT")
            try db.execute(sql: "ALTER TABLE outpost_records ADD COLUMN bucket TEXT NOT NULL DEFAULT ''")
            try db.execute(sql: Self.scopeSchema)
        }
        migrator.registerMigration("v11: a tenant's conflict rules") { db in
            try db.execute(sql: "ALTER TABLE outpost_tenants ADD COLUMN rules TEXT")
        }
        migrator.registerMigration("v12: site hubs that push on behalf of their nodes") { db in
            try db.execute(sql: "ALTER TABLE outpost_nodes ADD COLUMN relays INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v13: the push priority a node gave each row's change") { db in
            try db.execute(sql: "ALTER TABLE outpost_records ADD COLUMN priority INTEGER")
        }
        migrator.registerMigration("v14: chunks in a rowid table") { db in
            try db.execute(sql: chunksInRowidTable)
        }
        return migrator
    }

    /// `outpost_chunks` was a `WITHOUT ROWID` table keyed by (tenant, hash). Such a table keeps
    /// whole rows in its b-tree, and a chunk (~16 KiB) is four pages: every key comparison of a
    /// lookup read a chunk's overflow pages, and every split copied chunks. Asking which of a
    /// file's chunks the hub lacks and storing them took most of an upload's time (BENCHMARKS.md).
    /// A rowid table keeps the chunks in its leaves and the keys in a small unique index.
    private static let chunksInRowidTable = """
        CREATE TABLE outpost_chunks_rowid (
            tenant_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            flags INTEGER NOT NULL,
            data BLOB NOT NULL,
            created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
            UNIQUE (tenant_id, hash)
        );
        INSERT INTO outpost_chunks_rowid (tenant_id, hash, flags, data, created_at)
            SELECT tenant_id, hash, flags, data, created_at FROM outpost_chunks;
        DROP TABLE outpost_chunks;
        ALTER TABLE outpost_chunks_rowid RENAME TO outpost_chunks;
        """

    // MARK: File chunks

    package func missingChunks(tenantID: String, hashes: [String]) async throws -> [String] {
        try await pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM outpost_chunks WHERE tenant_id = ? AND hash = ?")
            return try hashes.filter { try Int.fetchOne(statement, arguments: [tenantID, $0]) == nil }
        }
    }

    package func claimChunks(tenantID: String, hashes: [String]) async throws -> [String] {
        guard !hashes.isEmpty else { return [] }
        let waiting = try await pool.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT 1 FROM outpost_chunk_orphans WHERE tenant_id = ? AND hash = ?"
            )
            return try hashes.filter { try Int.fetchOne(statement, arguments: [tenantID, $0]) != nil }
        }
        // A chunk not waiting to be collected now cannot be collected within a lease.
        guard !waiting.isEmpty else { return try await missingChunks(tenantID: tenantID, hashes: hashes) }
        return try await pool.write { db in
            let claim = try db.cachedStatement(
                sql: "DELETE FROM outpost_chunk_orphans WHERE tenant_id = ? AND hash = ?"
            )
            for hash in waiting { try claim.execute(arguments: [tenantID, hash]) }
            let present = try db.cachedStatement(sql: "SELECT 1 FROM outpost_chunks WHERE tenant_id = ? AND hash = ?")
            return try hashes.filter { try Int.fetchOne(present, arguments: [tenantID, $0]) == nil }
        }
    }

    package func storeChunks(tenantID: String, _ frames: [ChunkFrame]) async throws -> Int {
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql:
                    "INSERT INTO outpost_chunks (tenant_id, hash, flags, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
            )
            var stored = 0
            for frame in frames {
                try statement.execute(arguments: [tenantID, frame.hash, Int(frame.flags), Data(frame.payload)])
                stored += db.changesCount
            }
            return stored
        }
    }

    package func chunks(tenantID: String, hashes: [String], maximumBytes: Int) async throws -> [ChunkFrame] {
        try await pool.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT flags, data FROM outpost_chunks WHERE tenant_id = ? AND hash = ?"
            )
            var frames: [ChunkFrame] = []
            var bytes = 0
            for hash in hashes where bytes < maximumBytes {
                guard let row = try Row.fetchOne(statement, arguments: [tenantID, hash]) else { continue }
                let data: Data = row["data"]
                bytes += data.count
                frames.append(ChunkFrame(hash: hash, flags: UInt8(row["flags"] as Int), payload: Array(data)))
            }
            return frames
        }
    }

    package var pingsOverNetwork: Bool { false }

    package func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Administration

    package func addTenant(name: String) async throws -> TenantInfo {
        try HubAdminError.checkTenantName(name)
        var ids = UUIDv7()
        let id = ids.next()
        return try await pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM outpost_tenants WHERE name = ?", arguments: [name]) != nil {
                throw HubAdminError.duplicateTenant(name)
            }
            try db.execute(
                sql: "INSERT INTO outpost_tenants (id, name, epoch) VALUES (?, ?, ?)",
                arguments: [id, name, PullRules.newEpoch()]
            )
            let created = try String.fetchOne(
                db,
                sql: "SELECT created_at FROM outpost_tenants WHERE id = ?",
                arguments: [id]
            )
            return TenantInfo(id: id, name: name, createdAt: created ?? "")
        }
    }

    package func removeTenant(name: String) async throws -> RemovedTenant {
        try await pool.write { db in
            guard
                let id = try String.fetchOne(
                    db,
                    sql: "SELECT id FROM outpost_tenants WHERE name = ?",
                    arguments: [name]
                )
            else { throw HubAdminError.unknownTenant(name) }
            var counts: [String: Int] = [:]
            for table in Self.tenantTables {
                try db.execute(sql: "DELETE FROM \(table) WHERE tenant_id = ?", arguments: [id])
                counts[table] = db.changesCount
            }
            try db.execute(sql: "DELETE FROM outpost_tenants WHERE id = ?", arguments: [id])
            return RemovedTenant(
                tenant: name,
                nodes: counts["outpost_nodes"] ?? 0,
                rows: counts["outpost_records"] ?? 0,
                chunks: counts["outpost_chunks"] ?? 0
            )
        }
    }

    /// Every table that keeps rows per tenant, dependents before `outpost_nodes`.
    static let tenantTables = [
        "outpost_records", "outpost_scope_exits", "outpost_batches", "outpost_columns", "outpost_tables",
        "outpost_chunk_orphans",
        "outpost_chunks", "outpost_nodes",
    ]

    package func tenants() async throws -> [TenantInfo] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, name, created_at, requires_client_certificate FROM outpost_tenants ORDER BY name"
            ).map {
                TenantInfo(
                    id: $0["id"],
                    name: $0["name"],
                    createdAt: $0["created_at"],
                    requiresClientCertificate: $0["requires_client_certificate"]
                )
            }
        }
    }

    package func addNode(tenant: String, name: String, tokenHash: String) async throws -> NodeInfo {
        var ids = UUIDv7()
        let id = ids.next()
        return try await pool.write { db in
            guard
                let tenantID = try String.fetchOne(
                    db,
                    sql: "SELECT id FROM outpost_tenants WHERE name = ?",
                    arguments: [tenant]
                )
            else { throw HubAdminError.unknownTenant(tenant) }
            try db.execute(
                sql: "INSERT INTO outpost_nodes (id, tenant_id, name, token_hash) VALUES (?, ?, ?, ?)",
                arguments: [id, tenantID, name, tokenHash]
            )
            return try Self.nodes(db, where: "n.id = ?", [id])[0]
        }
    }

    package func nodeNames(tenantID: String) async throws -> [(id: String, name: String)] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, name FROM outpost_nodes WHERE tenant_id = ? ORDER BY created_at, id",
                arguments: [tenantID]
            ).map { (id: $0["id"], name: $0["name"]) }
        }
    }

    package func nodes(tenant: String?) async throws -> [NodeInfo] {
        try await pool.read { db in
            if let tenant {
                guard
                    try Int.fetchOne(db, sql: "SELECT 1 FROM outpost_tenants WHERE name = ?", arguments: [tenant])
                        != nil
                else { throw HubAdminError.unknownTenant(tenant) }
                return try Self.nodes(db, where: "t.name = ?", [tenant])
            }
            return try Self.nodes(db, where: "1 = 1", [])
        }
    }

    static func nodes(_ db: Database, where condition: String, _ arguments: [String]) throws -> [NodeInfo] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT n.id, t.name AS tenant, n.name, n.created_at, n.revoked_at, n.last_seen_at, n.cursor,
                    t.last_seq, n.client_certificate, n.reported_at, n.reported_version, n.reported_pending,
                    n.reported_failed, n.reported_parked, n.attributes, n.relays
                FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id
                WHERE \(condition) ORDER BY t.name, n.created_at, n.id
                """,
            arguments: StatementArguments(arguments)
        ).map {
            var node = NodeInfo(
                id: $0["id"],
                tenant: $0["tenant"],
                name: $0["name"],
                createdAt: $0["created_at"],
                revokedAt: $0["revoked_at"],
                lastSeenAt: $0["last_seen_at"],
                cursor: $0["cursor"],
                head: $0["last_seq"]
            )
            node.clientCertificate = $0["client_certificate"]
            node.reportedAt = $0["reported_at"]
            node.version = $0["reported_version"]
            node.pending = $0["reported_pending"]
            node.failed = $0["reported_failed"]
            node.parked = $0["reported_parked"]
            node.attributes = NodeAttributes(stored: $0["attributes"]).values
            node.relays = $0["relays"]
            return node
        }
    }

    /// Why node `id` could not be changed: it was revoked, or there is no such node.
    static func notLive(_ id: String, in db: Database) throws -> OutpostError {
        let exists = try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM outpost_nodes WHERE id = ?)",
            arguments: [id]
        )
        return exists == true ? HubAdminError.revokedNode(id) : HubAdminError.unknownNode(id)
    }

    package func renewEpoch(tenant: String?) async throws -> Int {
        try await pool.write { db in
            let ids = try String.fetchAll(
                db,
                sql: "SELECT id FROM outpost_tenants WHERE ?1 IS NULL OR name = ?1",
                arguments: [tenant]
            )
            if let tenant, ids.isEmpty { throw HubAdminError.unknownTenant(tenant) }
            for id in ids {
                try db.execute(
                    sql: "UPDATE outpost_tenants SET epoch = ? WHERE id = ?",
                    arguments: [PullRules.newEpoch(), id]
                )
            }
            return ids.count
        }
    }

    /// SQLite has no notifications: one connection of its own checks `PRAGMA data_version`
    /// (which moves when another connection commits) four times a second, and only then reads
    /// the tenants' sequence numbers and a fingerprint of the credentials (nodes, revocations,
    /// rotated tokens) to say what changed.
    package func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws {
        var configuration = Configuration()
        configuration.readonly = true
        let watcher = try DatabaseQueue(path: path, configuration: configuration)
        func state() throws -> (version: Int, sequences: [String: Int64], credentials: String) {
            try watcher.inDatabase { db in
                let version = try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0
                let sequences = try Dictionary(
                    uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, last_seq FROM outpost_tenants").map {
                        (row: Row) -> (String, Int64) in (row[0], row[1])
                    }
                )
                let credentials =
                    try String.fetchOne(
                        db,
                        sql: """
                            SELECT count(*) || ':' || count(revoked_at) || ':' || coalesce(sum(token_rotations), 0)
                            FROM outpost_nodes
                            """
                    ) ?? ""
                return (version, sequences, credentials)
            }
        }
        var last = try state()
        while true {
            try await Task.sleep(for: .milliseconds(250))
            let version = try watcher.inDatabase { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
            guard version != last.version else { continue }
            let now = try state()
            if now.credentials != last.credentials { changed(SequenceNotifier.everyTenant) }
            for (tenant, sequence) in now.sequences where last.sequences[tenant] != sequence { changed(tenant) }
            last = now
        }
    }

    package func revokeNode(id: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outpost_nodes SET revoked_at = coalesce(revoked_at, CURRENT_TIMESTAMP) WHERE id = ?",
                arguments: [id]
            )
            if db.changesCount == 0 { throw HubAdminError.unknownNode(id) }
        }
    }

    package func rotateToken(id: String, tokenHash: String) async throws -> NodeInfo {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE outpost_nodes SET token_hash = ?, token_rotations = token_rotations + 1
                    WHERE id = ? AND revoked_at IS NULL
                    """,
                arguments: [tokenHash, id]
            )
            if db.changesCount == 0 { throw try Self.notLive(id, in: db) }
            return try Self.nodes(db, where: "n.id = ?", [id])[0]
        }
    }

    package func authenticate(tokenHash: String) async throws -> AuthenticatedNode? {
        try await pool.read { db in
            // Every request asks: the statement is compiled once per connection.
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.nodeColumns)
                        FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id
                        WHERE n.token_hash = ? AND n.revoked_at IS NULL
                        """
                ),
                arguments: [tokenHash]
            ).map { try Self.authenticatedNode($0, tokenHash: tokenHash) }
        }
    }

    /// What ``authenticatedNode(_:tokenHash:)`` reads, from `outpost_nodes n` joined with
    /// `outpost_tenants t`.
    private static let nodeColumns = """
        n.id, n.tenant_id, n.name, n.attributes, n.client_certificate, n.relays,
            t.requires_client_certificate, t.scopes
        """

    private static func authenticatedNode(_ row: Row, tokenHash: String) throws -> AuthenticatedNode {
        var node = AuthenticatedNode(
            id: row["id"],
            tenantID: row["tenant_id"],
            tokenHash: tokenHash,
            clientCertificate: row["client_certificate"],
            tenantRequiresClientCertificate: row["requires_client_certificate"],
            scope: try NodeScope.make(
                scopes: row["scopes"],
                nodeID: row["id"],
                nodeName: row["name"],
                attributes: row["attributes"]
            )
        )
        node.relays = row["relays"]
        return node
    }

    package func setRelays(nodeID: String, relays: Bool) async throws -> NodeInfo {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outpost_nodes SET relays = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [relays, nodeID]
            )
            if db.changesCount == 0 { throw try Self.notLive(nodeID, in: db) }
            return try Self.nodes(db, where: "n.id = ?", [nodeID])[0]
        }
    }

    package func setClientCertificate(nodeID: String, fingerprint: String?) async throws -> NodeInfo {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outpost_nodes SET client_certificate = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [fingerprint, nodeID]
            )
            if db.changesCount == 0 { throw try Self.notLive(nodeID, in: db) }
            return try Self.nodes(db, where: "n.id = ?", [nodeID])[0]
        }
    }

    package func recordReport(nodeID: String, report: NodeReport) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE outpost_nodes SET reported_at = CURRENT_TIMESTAMP, reported_version = ?, reported_pending = ?,
                        reported_failed = ?, reported_parked = ?
                    WHERE id = ?
                    """,
                arguments: [report.version, report.pending, report.failed, report.parked, nodeID]
            )
        }
    }

    package func chunkUsage() async throws -> [ChunkUsage] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.name, count(*) AS chunks, sum(length(c.data)) AS bytes
                    FROM outpost_chunks c JOIN outpost_tenants t ON t.id = c.tenant_id
                    GROUP BY t.name ORDER BY t.name
                    """
            ).map { ChunkUsage(tenant: $0["name"], chunks: $0["chunks"], bytes: $0["bytes"]) }
        }
    }

    package func setRequiresClientCertificate(tenant: String, required: Bool) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outpost_tenants SET requires_client_certificate = ? WHERE name = ?",
                arguments: [required, tenant]
            )
            if db.changesCount == 0 { throw HubAdminError.unknownTenant(tenant) }
        }
    }

    // MARK: Sync

    package func push(_ request: PushBatch, from node: AuthenticatedNode, validator: BatchValidator) async throws
        -> PushOutcome
    {
        // Statements every batch runs are compiled once per connection.
        try await pool.write { db in
            if let stored = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT node_id, response, digest FROM outpost_batches WHERE tenant_id = ? AND batch_id = ?"
                ),
                arguments: [node.tenantID, request.batchID]
            ) {
                return try PushOutcome.replay(
                    stored["response"],
                    storedNode: stored["node_id"],
                    storedDigest: stored["digest"],
                    node: node,
                    request: request
                )
            }
            let known = try Self.schemas(db, tenantID: node.tenantID)
            let additions = try validator.validate(request, knownSchemas: known)
            let counters = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT last_seq, tombstone_floor FROM outpost_tenants WHERE id = ?"),
                arguments: [node.tenantID]
            )
            let lastSequence: Int64 = counters?["last_seq"] ?? 0
            var current: [RowKey: StoredRow] = [:]
            let lookup = try db.cachedStatement(
                sql: """
                    SELECT table_name, record_id, version, data, deleted, hlc, origin_node, change_id, seq, bucket
                    FROM outpost_records WHERE tenant_id = ? AND table_name = ? AND record_id = ?
                    """
            )
            for change in request.changes {
                if let row = try Row.fetchOne(lookup, arguments: [node.tenantID, change.table, change.key]) {
                    current[RowKey(table: change.table, key: change.key)] = Self.storedRow(row)
                }
            }
            let sequences = PushPlan.sequences(after: lastSequence, count: request.changes.count)
            let newLastSequence = sequences.last ?? lastSequence
            let plan = try PushPlan(
                changes: request.changes,
                sequences: sequences,
                current: current,
                node: node.id,
                firstVersion: PushPlan.firstVersion(tombstoneFloor: counters?["tombstone_floor"] ?? 0),
                scope: node.scope,
                acceptsRefusals: node.acceptsRefusals
            )
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO outpost_records
                        (tenant_id, table_name, record_id, version, data, deleted, hlc, origin_node, change_id, seq,
                         bucket, priority)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (tenant_id, table_name, record_id) DO UPDATE SET
                        version = excluded.version, data = excluded.data, deleted = excluded.deleted,
                        hlc = excluded.hlc, origin_node = excluded.origin_node, change_id = excluded.change_id,
                        seq = excluded.seq, bucket = excluded.bucket, priority = excluded.priority,
                        updated_at = CURRENT_TIMESTAMP
                    """
            )
            for row in plan.writes {
                try upsert.execute(arguments: [
                    node.tenantID, row.table, row.key, row.version, row.data, row.deleted, row.hlc,
                    row.origin, row.changeID, row.sequence, row.bucket, row.priority,
                ])
            }
            try Self.record(plan.exits, tenantID: node.tenantID, in: db)
            try db.cachedStatement(sql: "UPDATE outpost_tenants SET last_seq = ? WHERE id = ?")
                .execute(arguments: [newLastSequence, node.tenantID])
            try Self.record(request.declarations, tenantID: node.tenantID, in: db)
            for (table, columns) in additions {
                for column in columns {
                    try db.execute(
                        sql:
                            "INSERT OR IGNORE INTO outpost_columns (tenant_id, table_name, column_name) VALUES (?, ?, ?)",
                        arguments: [node.tenantID, table, column]
                    )
                }
            }
            let outcome = PushOutcome(PushResponse(results: plan.results, sequence: newLastSequence))
            try db.cachedStatement(
                sql: """
                    INSERT INTO outpost_batches (tenant_id, batch_id, node_id, response, digest)
                    VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [node.tenantID, request.batchID, node.id, outcome.body, request.digest])
            return outcome
        }
    }

    package func pull(
        for node: AuthenticatedNode,
        after cursor: Int64,
        limit: Int,
        maximumBytes: Int,
        table: String?
    ) async throws -> PullPage {
        // Every pull runs these statements: each is compiled once per connection (compiling
        // them, GRDB's authorizer included, was a fifth of a hub's CPU answering pulls). A
        // scoped query's text depends on the scope's shape, so it is compiled each time rather
        // than filling the cache with shapes.
        try await pool.write { db in
            let tenant = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT tombstone_floor, last_seq, epoch FROM outpost_tenants WHERE id = ?"),
                arguments: [node.tenantID]
            )
            let floor: Int64 = tenant?["tombstone_floor"] ?? 0
            if cursor > 0, cursor < floor { throw PullRules.resyncRequired(cursor: cursor, floor: floor) }
            // Read until the page is full by count or bytes, plus one row that says "more".
            let query = ScopedPullQuery(node: node, cursor: cursor, limit: limit + 1, table: table)
            let statement =
                node.scope == nil ? try db.cachedStatement(sql: query.sql) : try db.makeStatement(sql: query.sql)
            let cursorRows = try Row.fetchCursor(statement, arguments: query.databaseArguments)
            var rows: [StoredRow] = []
            var bytes = 0
            while let row = try cursorRows.next() {
                let stored = Self.storedRow(row)
                rows.append(stored)
                // Past the budget already: this row only says "more" (or, first, travels alone).
                if bytes > maximumBytes { break }
                bytes += stored.data?.utf8.count ?? 0
            }
            // A table-filtered pull says nothing about the node's cursor.
            try db.cachedStatement(
                sql: "UPDATE outpost_nodes SET cursor = max(cursor, ?), last_seen_at = CURRENT_TIMESTAMP WHERE id = ?"
            ).execute(arguments: [table == nil ? cursor : 0, node.id])
            return PullRules.page(
                rows: rows,
                after: cursor,
                limit: limit,
                maximumBytes: maximumBytes,
                epoch: tenant?["epoch"] ?? 0,
                head: tenant?["last_seq"] ?? 0
            )
        }
    }

    package func digest(_ request: DigestRequest, tenantID: String, scope: NodeScope?) async throws -> DigestAnswer {
        try await pool.read { db in
            let sequence =
                try Int64.fetchOne(db, sql: "SELECT last_seq FROM outpost_tenants WHERE id = ?", arguments: [tenantID])
                ?? 0
            var digest = DigestAccumulator(request, sequence: sequence)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT record_id, version, seq, deleted, data, bucket, origin_node FROM outpost_records
                    WHERE tenant_id = ? AND table_name = ?
                    """,
                arguments: [tenantID, request.table]
            )
            while let row = try rows.next() {
                if let scope, !scope.sees(table: request.table, bucket: row[5], origin: row[6]) { continue }
                let key: String = row[0]
                try digest.add(key: key, version: row[1], sequence: row[2], deleted: row[3]) {
                    try StoredRow.parse(row[4], table: request.table, key: key)
                }
            }
            return digest.answer
        }
    }

    package func waitState(of node: AuthenticatedNode) async throws -> (sequence: Int64, current: AuthenticatedNode?) {
        // Every waiting pull asks at every wake: compiled once per connection.
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT t.last_seq, n.revoked_at IS NOT NULL OR n.token_hash <> ? AS revoked,
                                \(Self.nodeColumns)
                            FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id WHERE n.id = ?
                            """
                    ),
                    arguments: [node.tokenHash, node.id]
                )
            else { return (0, nil) }
            let revoked: Bool = row["revoked"]
            return (row["last_seq"], revoked ? nil : try Self.authenticatedNode(row, tokenHash: node.tokenHash))
        }
    }

    package func lastSequence(tenantID: String) async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT last_seq FROM outpost_tenants WHERE id = ?", arguments: [tenantID]) ?? 0
        }
    }

    package func collectGarbage(lease: Duration, now: Date) async throws -> GarbageReport {
        let cutoff = PullRules.timestamp(now.addingTimeInterval(-Double(lease.components.seconds)))
        return try await pool.write { db in
            var report = GarbageReport(tombstones: 0, batches: 0)
            for tenantID in try String.fetchAll(db, sql: "SELECT id FROM outpost_tenants") {
                // Live nodes: not revoked and seen (or created) within the lease.
                let liveFloor =
                    try Int64.fetchOne(
                        db,
                        sql: """
                            SELECT min(cursor) FROM outpost_nodes
                            WHERE tenant_id = ? AND revoked_at IS NULL AND coalesce(last_seen_at, created_at) >= ?
                            """,
                        arguments: [tenantID, cutoff]
                    ) ?? Int64.max
                let collected = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT max(seq) FROM outpost_records
                        WHERE tenant_id = ? AND deleted = 1 AND (seq <= ? OR updated_at < ?)
                        """,
                    arguments: [tenantID, liveFloor, cutoff]
                )
                try db.execute(
                    sql:
                        "DELETE FROM outpost_records WHERE tenant_id = ? AND deleted = 1 AND (seq <= ? OR updated_at < ?)",
                    arguments: [tenantID, liveFloor, cutoff]
                )
                report.tombstones += db.changesCount
                // Rows that left scopes, once every live node has pulled past them; a node
                // away longer re-syncs (the floor rises past them), which drops them as well.
                let exited = try Int64.fetchOne(
                    db,
                    sql: "SELECT max(seq) FROM outpost_scope_exits WHERE tenant_id = ? AND seq <= ?",
                    arguments: [tenantID, liveFloor]
                )
                try db.execute(
                    sql: "DELETE FROM outpost_scope_exits WHERE tenant_id = ? AND seq <= ?",
                    arguments: [tenantID, liveFloor]
                )
                if let top = [collected, exited].compactMap({ $0 }).max() {
                    try db.execute(
                        sql: "UPDATE outpost_tenants SET tombstone_floor = max(tombstone_floor, ?) WHERE id = ?",
                        arguments: [top, tenantID]
                    )
                }
            }
            try db.execute(sql: "DELETE FROM outpost_batches WHERE created_at < ?", arguments: [cutoff])
            report.batches = db.changesCount
            for tenant in try Row.fetchAll(db, sql: "SELECT id, name FROM outpost_tenants") {
                try Self.collectChunks(
                    tenantID: tenant["id"],
                    name: tenant["name"],
                    now: PullRules.timestamp(now),
                    cutoff: cutoff,
                    report: &report,
                    in: db
                )
            }
            return report
        }
    }

    /// Marks the chunks no live file reaches as waiting (from `now`), and removes those that
    /// have waited since before `cutoff`; a chunk reached again stops waiting.
    private static func collectChunks(
        tenantID: String,
        name: String,
        now: String,
        cutoff: String,
        report: inout GarbageReport,
        in db: Database
    ) throws {
        let values = try String.fetchAll(
            db,
            sql: """
                SELECT json_extract(data, '$.chunks') FROM outpost_records
                WHERE tenant_id = ? AND table_name = ? AND deleted = 0 AND json_extract(data, '$.chunks') IS NOT NULL
                """,
            arguments: [tenantID, ChunkReachability.fileTable]
        )
        let lists = ChunkReachability.manifestLists(values)
        let manifests = Set(lists.joined())
        let read = try db.cachedStatement(
            sql: "SELECT flags, data FROM outpost_chunks WHERE tenant_id = ? AND hash = ?"
        )
        var frames: [ChunkFrame] = []
        for hash in manifests {
            guard let row = try Row.fetchOne(read, arguments: [tenantID, hash]) else { continue }
            frames.append(
                ChunkFrame(hash: hash, flags: UInt8(row["flags"] as Int), payload: Array(row["data"] as Data))
            )
        }
        guard let reachable = ChunkReachability.reachable(lists: lists, frames: frames) else {
            report.tenantsSkipped.append(name)
            return
        }
        let waiting = Set(
            try String.fetchAll(
                db,
                sql: "SELECT hash FROM outpost_chunk_orphans WHERE tenant_id = ?",
                arguments: [tenantID]
            )
        )
        let release = try db.cachedStatement(sql: "DELETE FROM outpost_chunk_orphans WHERE tenant_id = ? AND hash = ?")
        for hash in waiting where reachable.contains(hash) { try release.execute(arguments: [tenantID, hash]) }
        let wait = try db.cachedStatement(
            sql: "INSERT INTO outpost_chunk_orphans (tenant_id, hash, since) VALUES (?, ?, ?)"
        )
        let stored = try String.fetchCursor(
            db,
            sql: "SELECT hash FROM outpost_chunks WHERE tenant_id = ?",
            arguments: [tenantID]
        )
        var unreached: [String] = []
        while let hash = try stored.next() {
            if !reachable.contains(hash) { unreached.append(hash) }
        }
        for hash in unreached where !waiting.contains(hash) { try wait.execute(arguments: [tenantID, hash, now]) }
        let expired = try String.fetchAll(
            db,
            sql: "SELECT hash FROM outpost_chunk_orphans WHERE tenant_id = ? AND since < ?",
            arguments: [tenantID, cutoff]
        )
        let size = try db.cachedStatement(
            sql: "SELECT length(data) FROM outpost_chunks WHERE tenant_id = ? AND hash = ?"
        )
        let remove = try db.cachedStatement(sql: "DELETE FROM outpost_chunks WHERE tenant_id = ? AND hash = ?")
        for hash in expired {
            report.chunkBytes += try Int64.fetchOne(size, arguments: [tenantID, hash]) ?? 0
            try remove.execute(arguments: [tenantID, hash])
            report.chunks += db.changesCount
            try release.execute(arguments: [tenantID, hash])
        }
        report.chunksWaiting +=
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM outpost_chunk_orphans WHERE tenant_id = ?",
                arguments: [tenantID]
            ) ?? 0
    }

    // MARK: Helpers

    private static func schemas(_ db: Database, tenantID: String) throws -> [String: Set<String>] {
        var schemas: [String: Set<String>] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT table_name, column_name FROM outpost_columns WHERE tenant_id = ?"),
            arguments: [tenantID]
        ) {
            schemas[row["table_name"], default: []].insert(row["column_name"])
        }
        return schemas
    }

    private static func storedRow(_ row: Row) -> StoredRow {
        StoredRow(
            table: row["table_name"],
            key: row["record_id"],
            version: row["version"],
            data: row["data"],
            deleted: row["deleted"],
            hlc: row["hlc"],
            origin: row["origin_node"],
            changeID: row["change_id"] ?? "",
            sequence: row["seq"],
            bucket: row["bucket"] ?? ScopeRules.everyone,
            priority: row["priority"]
        )
    }
}
