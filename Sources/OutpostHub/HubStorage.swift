public import Foundation
package import OutpostCore
public import OutpostProtocol

/// Where a hub keeps tenants, nodes and rows: embedded SQLite or PostgreSQL.
///
/// Every backend keeps the same contract, and the same protocol tests run against each:
/// - a push is one transaction that holds the tenant's counter row, so sequence numbers are
///   given out in commit order and a pull cursor can never skip a change;
/// - a retried batch (same `batch_id`) gets the stored answer and changes nothing;
/// - rows are kept in their latest state, ordered by the sequence number of their latest
///   change (a compacted change log); deletions are tombstones until collected.
package protocol HubStorage: Sendable {
    /// `sqlite` or `postgresql`, for `/health` and logs.
    var backendName: String { get }

    /// Creates or upgrades the hub's tables.
    func migrate() async throws

    /// Checks that the database answers.
    func ping() async throws

    /// Whether ``ping()`` talks to a server over the network, and may wait on one that does not
    /// answer: only then do callers bound it with a timeout (an embedded file answers or fails
    /// at once, and a busy machine must not turn its slowness into a false "did not answer").
    var pingsOverNetwork: Bool { get }

    func addTenant(name: String) async throws -> TenantInfo
    func tenants() async throws -> [TenantInfo]

    /// Deletes a tenant with everything it holds (rows, batch answers, declarations, chunks)
    /// and its nodes, whose tokens stop at once, in one transaction.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    func removeTenant(name: String) async throws -> RemovedTenant
    func addNode(tenant: String, name: String, tokenHash: String) async throws -> NodeInfo
    func nodes(tenant: String?) async throws -> [NodeInfo]

    /// Every node of the tenant (revoked ones too: their rows still name them), by id and name.
    func nodeNames(tenantID: String) async throws -> [(id: String, name: String)]
    func revokeNode(id: String) async throws

    /// Gives a node a new token (its hash): the old one stops at once, also for a pull that
    /// is waiting; the node's id, cursor and data stay.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown node, `.failedPrecondition` for a
    ///   revoked one (a revocation is final).
    func rotateToken(id: String, tokenHash: String) async throws -> NodeInfo

    /// Binds a node's token to one client certificate (its SHA-256 fingerprint), or unbinds it
    /// with nil: a request with the token must then come over a connection that presented
    /// that certificate.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown node, `.failedPrecondition` for a
    ///   revoked one.
    func setClientCertificate(nodeID: String, fingerprint: String?) async throws -> NodeInfo

    /// Whether every node of `tenant` must present a client certificate the hub's client
    /// authority signed.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    func setRequiresClientCertificate(tenant: String, required: Bool) async throws

    /// The tenant's scopes (none set: every node receives and may write every row).
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    func scopes(tenant: String) async throws -> ScopeRules

    /// Replaces the tenant's scopes in one transaction: the rows of every table whose scope
    /// changed are sorted into their new buckets, and requests authenticated from then on meet
    /// the new scopes.
    ///
    /// - Returns: how many rows changed bucket.
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    func setScopes(tenant: String, rules: ScopeRules) async throws -> Int

    /// The text of a tenant's conflict rules file, or nil when it has none (each node's own
    /// rules are in force). By name for operators, by id for the nodes' route.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    func tenantRules(tenant: String) async throws -> String?
    func tenantRules(tenantID: String) async throws -> String?

    /// Replaces a tenant's conflict rules with a file its caller checked (nil: none); nodes
    /// take them with their next sync.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown tenant.
    func setTenantRules(tenant: String, text: String?) async throws

    /// Replaces a node's attributes.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown node, `.failedPrecondition` for a
    ///   revoked one.
    func setAttributes(nodeID: String, attributes: NodeAttributes) async throws -> NodeInfo

    /// Marks a live node as a site hub that may push on behalf of the nodes behind it, or not.
    ///
    /// - Throws: ``HubAdminError`` when the node is unknown or revoked.
    func setRelays(nodeID: String, relays: Bool) async throws -> NodeInfo

    /// Gives `tenant` (every tenant when `nil`) a new epoch, after its data was restored from a
    /// backup: nodes that see it re-sync and push again what the hub lost.
    ///
    /// - Returns: how many tenants got one.
    func renewEpoch(tenant: String?) async throws -> Int

    /// The node a token hash belongs to, or nil when it is unknown or revoked.
    func authenticate(tokenHash: String) async throws -> AuthenticatedNode?

    /// Validates and applies a batch in one transaction (see ``PushPlan``); a batch pushed again
    /// gets its stored answer.
    func push(_ request: PushBatch, from node: AuthenticatedNode, validator: BatchValidator) async throws
        -> PushOutcome

    /// Rows changed after `cursor`, and records that the node holds everything up to `cursor`.
    ///
    /// With `table`, only that table's rows, and nothing is recorded: a node fills a table it
    /// tracked late this way, beside its own cursor, which still counts for the lease.
    ///
    /// A page holds at most `limit` rows and `maximumBytes` of row data (one larger row travels
    /// alone), and the hub reads little more than that: a pull of large rows must not cost the
    /// hub `limit` of them in memory. The tombstone floor and the rows come from one snapshot,
    /// so a collection between them cannot hide deletions from a node.
    ///
    /// - Throws: ``HubError`` `resync_required` when tombstones after `cursor` were collected.
    func pull(for node: AuthenticatedNode, after cursor: Int64, limit: Int, maximumBytes: Int, table: String?)
        async throws -> PullPage

    /// The digest of one table's rows for `outpost verify` (see ``DigestAccumulator``): one scan
    /// of the table's rows, parsing only those in the asked range.
    func digest(_ request: DigestRequest, tenantID: String, scope: NodeScope?) async throws -> DigestAnswer

    /// The `chunks` values of the live `files` rows `scope` lets its node see: what the chunks
    /// it may fetch are reached from.
    func fileChunkLists(tenantID: String, scope: NodeScope) async throws -> [String]

    /// Calls `changed` with a tenant's id whenever another connection (another hub process, an
    /// admin command) commits a change to it, or with ``SequenceNotifier/everyTenant`` when it
    /// cannot tell which tenant (a revocation); runs until cancelled or the connection fails.
    func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws

    /// The tenant's newest sequence number.
    func lastSequence(tenantID: String) async throws -> Int64

    /// What a waiting pull checks at each poll, in one query: the tenant's newest sequence
    /// number, and the node as it stands now — its scope as an operator last set it — or nil
    /// when its credential has been revoked or replaced (a rotated token) since the poll began.
    /// A woken pull reads with that node, so it needs no second query to check its token again.
    func waitState(of node: AuthenticatedNode) async throws -> (sequence: Int64, current: AuthenticatedNode?)

    /// The tenant's table declarations: every column the hub knows, with the first declared
    /// type it was given (`nil` when no node has declared one), and the first primary key
    /// declared (empty when none was).
    func declarations(tenantID: String) async throws -> [String: TableDeclaration]

    /// Removes tombstones every live node has passed, or older than the lease, old batch
    /// answers, and chunks no live file has reached for a whole lease (``ChunkReachability``).
    /// A node is live while it has been seen within the lease.
    func collectGarbage(lease: Duration, now: Date) async throws -> GarbageReport

    // MARK: File chunks (per tenant, deduplicated across its nodes)

    /// Which of `hashes` the tenant does not hold.
    func missingChunks(tenantID: String, hashes: [String]) async throws -> [String]

    /// Which of `hashes` the tenant does not hold; those it holds are taken off the list of
    /// chunks waiting to be collected, in the same transaction, so a `files` row about to
    /// name them cannot lose them to a collection running meanwhile.
    func claimChunks(tenantID: String, hashes: [String]) async throws -> [String]

    /// Keeps chunks the caller has checked against their hashes; returns how many were new.
    func storeChunks(tenantID: String, _ frames: [ChunkFrame]) async throws -> Int

    /// Keeps a node's last status report (``NodeReport``), with when it came.
    func recordReport(nodeID: String, report: NodeReport) async throws

    /// Chunks and their stored bytes, per tenant (tenants without chunks left out).
    func chunkUsage() async throws -> [ChunkUsage]

    /// The tenant's chunks among `hashes`, as stored (compressed or not), in the order asked;
    /// a chunk is left out (with all after it) once the payloads before it reach `maximumBytes`.
    func chunks(tenantID: String, hashes: [String], maximumBytes: Int) async throws -> [ChunkFrame]
}

/// A tenant: an isolated set of nodes and their data.
public struct TenantInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: String
    /// Whether every node of the tenant must present a client certificate.
    public var requiresClientCertificate = false

    enum CodingKeys: String, CodingKey {
        case id, name
        case createdAt = "created_at"
        case requiresClientCertificate = "requires_client_certificate"
    }
}

/// A tenant's file chunks on the hub.
public struct ChunkUsage: Sendable, Equatable {
    public var tenant: String
    public var chunks: Int
    public var bytes: Int64
}

/// What ``HubStorage/removeTenant(name:)`` deleted.
public struct RemovedTenant: Codable, Sendable, Equatable {
    public var tenant: String
    public var nodes: Int
    public var rows: Int
    public var chunks: Int

    public init(tenant: String, nodes: Int, rows: Int, chunks: Int) {
        self.tenant = tenant
        self.nodes = nodes
        self.rows = rows
        self.chunks = chunks
    }
}

/// A node's registration with the hub (never its token).
public struct NodeInfo: Codable, Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var name: String
    public var createdAt: String
    public var revokedAt: String?
    public var lastSeenAt: String?
    /// The sequence number the node has confirmed holding everything up to.
    public var cursor: Int64
    /// The tenant's newest sequence number.
    public var head: Int64
    /// How far the node is behind: changes it has not confirmed (`head − cursor`).
    public var lag: Int64
    /// The SHA-256 fingerprint of the client certificate the node's token is bound to.
    public var clientCertificate: String?
    /// The node's last status report (nil until it sends one): when, its release, and its
    /// queue's pending, failed and parked changes.
    public var reportedAt: String?
    public var version: String?
    public var pending: Int?
    public var failed: Int?
    public var parked: Int?
    /// What the operator said about the node (`site=berlin`), which scopes match rows against.
    public var attributes: [String: String] = [:]
    /// Whether the node is a site hub that may push changes on behalf of the nodes behind it
    /// (keeping each change's writer), set with `hub node add --relay` or `hub node set --relay`.
    public var relays = false

    public init(
        id: String,
        tenant: String,
        name: String,
        createdAt: String,
        revokedAt: String?,
        lastSeenAt: String?,
        cursor: Int64,
        head: Int64
    ) {
        self.id = id
        self.tenant = tenant
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.lastSeenAt = lastSeenAt
        self.cursor = cursor
        self.head = head
        self.lag = max(0, head - cursor)
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, name, cursor, head, lag
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case lastSeenAt = "last_seen_at"
        case clientCertificate = "client_certificate"
        case reportedAt = "reported_at"
        case version, pending, failed, parked, attributes
    }
}

extension NodeInfo {
    /// Whether the node has not been seen for longer than `lease` (a node never seen counts
    /// from its registration): it must re-sync in full when it comes back.
    public func isPastLease(_ lease: Duration, now: Date) -> Bool {
        guard let seen = Self.utcDate(lastSeenAt ?? createdAt) else { return false }
        return now.timeIntervalSince(seen) > Double(lease.components.seconds)
    }

    /// A `YYYY-MM-DD HH:MM:SS` UTC timestamp, as both backends report them.
    static func utcDate(_ text: String) -> Date? {
        let digits = text.prefix(19).split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).compactMap {
            Int32($0)
        }
        guard digits.count == 6 else { return nil }
        var parts = tm()
        (parts.tm_year, parts.tm_mon, parts.tm_mday) = (digits[0] - 1900, digits[1] - 1, digits[2])
        (parts.tm_hour, parts.tm_min, parts.tm_sec) = (digits[3], digits[4], digits[5])
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

/// The node a request was authenticated as.
package struct AuthenticatedNode: Sendable, Equatable {
    package var id: String
    package var tenantID: String
    /// The hash of the token the request carried: a waiting pull ends once it is replaced.
    package var tokenHash: String
    /// The fingerprint of the one client certificate the token may come with, if bound.
    package var clientCertificate: String?
    /// Whether the node's tenant requires a client certificate of every node.
    package var tenantRequiresClientCertificate: Bool
    /// The node's scope, when its tenant has scopes: what it receives and may write.
    package var scope: NodeScope?
    /// Whether the node reads per-change refusals (protocol 2; set by the push route).
    var acceptsRefusals = true
    /// Whether the node may push changes on behalf of other nodes (``NodeInfo/relays``).
    package var relays = false

    package init(
        id: String,
        tenantID: String,
        tokenHash: String,
        clientCertificate: String? = nil,
        tenantRequiresClientCertificate: Bool = false
    ) {
        self.id = id
        self.tenantID = tenantID
        self.tokenHash = tokenHash
        self.clientCertificate = clientCertificate
        self.tenantRequiresClientCertificate = tenantRequiresClientCertificate
    }

    init(
        id: String,
        tenantID: String,
        tokenHash: String,
        clientCertificate: String?,
        tenantRequiresClientCertificate: Bool,
        scope: NodeScope?
    ) {
        self.init(
            id: id,
            tenantID: tenantID,
            tokenHash: tokenHash,
            clientCertificate: clientCertificate,
            tenantRequiresClientCertificate: tenantRequiresClientCertificate
        )
        self.scope = scope
    }
}

/// What ``HubStorage/collectGarbage(lease:now:)`` removed.
public struct GarbageReport: Sendable, Equatable, Codable {
    public var tombstones: Int
    public var batches: Int
    /// Chunks removed, and their stored bytes.
    public var chunks: Int = 0
    public var chunkBytes: Int64 = 0
    /// Chunks no live file reaches that wait out the lease before they go.
    public var chunksWaiting: Int = 0
    /// Tenants whose chunks were left alone because a live file's chunk list is missing or
    /// unreadable on the hub (it could name any chunk).
    public var tenantsSkipped: [String] = []

    enum CodingKeys: String, CodingKey {
        case tombstones, batches, chunks
        case chunkBytes = "chunk_bytes"
        case chunksWaiting = "chunks_waiting"
        case tenantsSkipped = "tenants_skipped"
    }
}
