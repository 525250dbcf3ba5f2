import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostHub
import OutpostMerge
import OutpostStore
import OutpostSync
import OutpostSystem
import OutpostTesting
import Testing

/// Where the hub keeps its data in a test.
enum SyncBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// `scripts/test.sh` starts a throwaway PostgreSQL and sets `OUTPOST_TEST_POSTGRES_URL`;
    /// without it the PostgreSQL cases fail rather than skip.
    func hubArguments(folder: TemporaryDirectory) throws -> [String] {
        switch self {
        case .sqlite:
            return ["--home", folder.appending("hub")]
        case .postgres:
            let url = try #require(
                ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"],
                "Set OUTPOST_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway PostgreSQL and sets it)."
            )
            return ["--database", url]
        }
    }

    /// The same database, for a hub in the test's process.
    func database(folder: TemporaryDirectory) throws -> HubDatabase {
        switch self {
        case .sqlite: .sqlite(path: folder.appending("hub") + "/hub.sqlite")
        case .postgres: try HubDatabase(parsing: try #require(hubArguments(folder: folder).last))
        }
    }
}

/// Where a test's hub runs.
enum HubPlacement: Sendable {
    /// In the test's process, reached through ``InProcessHub``'s transport: no process, no socket.
    case inProcess
    /// A live `outpost hub serve` process on 127.0.0.1, for tests that cut, delay or restart
    /// the hub, or run `outpost` daemons against it.
    case process
}

/// A node in a test: a real store in its own home, and an engine talking to the test's hub.
final class TestNode: @unchecked Sendable {
    let home: String
    let store: Store
    /// The node's files (HOME/files), synced beside its rows.
    let files: FileStore
    let token: String
    /// The node's id on the hub.
    var hubID = ""
    let rules: RulesConfiguration
    var configuration: SyncConfiguration
    private(set) var engine: SyncEngine
    private var hubURL: String
    /// Set when the hub is in process; HTTP to ``hubURL`` otherwise.
    private var transport: (any HubTransport)?

    init(home: String, token: String, hubURL: String, transport: (any HubTransport)?, rules: RulesConfiguration)
        throws
    {
        self.home = home
        self.token = token
        self.rules = rules
        self.hubURL = hubURL
        self.transport = transport
        configuration = SyncConfiguration()
        let nodeHome = NodeHome(path: home)
        store = try nodeHome.openStore(createIfMissing: true)
        files = try nodeHome.files(store: store)
        engine = try Self.makeEngine(
            home: nodeHome,
            store: store,
            files: files,
            remote: RemoteConfiguration(url: hubURL, token: token),
            transport: transport,
            rules: rules,
            configuration: configuration
        )
    }

    /// Points the node at a live hub's URL (it changes when the hub restarts on a new port).
    func connect(to hubURL: String) throws {
        self.hubURL = hubURL
        transport = nil
        try reconnect()
    }

    /// Puts `wrap` between the node and its in-process hub (a link that fails on purpose).
    func interpose(_ wrap: (any HubTransport) -> any HubTransport) throws {
        transport = wrap(try #require(transport, "interpose needs a hub in this process"))
        try reconnect()
    }

    /// Makes the engine again, on the same hub, so a changed ``configuration`` takes effect.
    func reconnect() throws {
        engine = try Self.makeEngine(
            home: NodeHome(path: home),
            store: store,
            files: files,
            remote: RemoteConfiguration(url: hubURL, token: token),
            transport: transport,
            rules: rules,
            configuration: configuration
        )
    }

    /// Saves the remote in the home (as `outpost remote set` does, for commands run on the
    /// node) and makes the engine.
    private static func makeEngine(
        home: NodeHome,
        store: Store,
        files: FileStore,
        remote: RemoteConfiguration,
        transport: (any HubTransport)?,
        rules: RulesConfiguration,
        configuration: SyncConfiguration
    ) throws -> SyncEngine {
        try remote.save(home: home.path)
        return try home.engine(
            store: store,
            files: files,
            rules: rules,
            remote: remote,
            configuration: configuration,
            transport: transport
        )
    }

    @discardableResult
    func sync() async throws -> SyncReport { try await engine.sync() }

    func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
        try store.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    func syncedContents() throws -> [String: [String]] { try store.syncedContents() }

    /// Queue entries with `status`, the capture log folded first (as the engine does).
    func queueCount(status: String) throws -> Int {
        try store.write { db in
            try Outbox(db).fold()
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM sync_queue WHERE status = ?", arguments: [status])
                ?? 0
        }
    }
}

/// A hub (SQLite or PostgreSQL, in this process or a live process) with a fresh tenant, and
/// nodes registered on it.
final class SyncCluster: @unchecked Sendable {
    let folder: TemporaryDirectory
    let backend: SyncBackend
    /// The arguments that point `outpost hub …` commands at the hub's database.
    let hubArguments: [String]
    let tenant: String
    /// The live hub process, when ``HubPlacement/process``.
    private(set) var hub: HubProcess?
    /// The hub in this process, when ``HubPlacement/inProcess``.
    private let inProcessHub: InProcessHub?
    private(set) var nodes: [TestNode] = []

    init(
        _ backend: SyncBackend,
        nodes count: Int,
        rules: RulesConfiguration = .defaults,
        hub placement: HubPlacement = .inProcess
    ) async throws {
        folder = try TemporaryDirectory(prefix: "outpost-sync")
        self.backend = backend
        hubArguments = try backend.hubArguments(folder: folder)
        var ids = UUIDv7()
        tenant = "sync" + ids.next().replacingOccurrences(of: "-", with: "")
        switch placement {
        case .inProcess:
            let hub = try await InProcessHub(database: try backend.database(folder: folder))
            try await hub.addTenant(tenant)
            inProcessHub = hub
        case .process:
            inProcessHub = nil
            try await Self.outpost(["hub", "tenant", "add", tenant] + hubArguments)
            hub = try await HubProcess.start(arguments: hubArguments)
        }
        for index in 0..<count {
            try await addNode(name: "node\(index)", rules: rules)
        }
    }

    /// Registers one more node on the hub and opens its store.
    @discardableResult
    func addNode(name: String, rules: RulesConfiguration = .defaults) async throws -> TestNode {
        let id: String
        let token: String
        if let inProcessHub {
            (id, token) = try await inProcessHub.addNode(tenant: tenant, name: name)
        } else {
            let added = try await Self.outpost(
                ["hub", "node", "add", "--tenant", tenant, "--name", name, "--json"] + hubArguments
            )
            let answer = try JSONValue(parsing: added)
            token = try #require(answer["token"]?.stringValue)
            id = try #require(answer["id"]?.stringValue)
        }
        let node = try TestNode(
            home: folder.appending(name),
            token: token,
            // A URL that answers nothing: an in-process hub is reached through its transport.
            hubURL: hub?.url ?? "http://127.0.0.1:9",
            transport: inProcessHub?.transport,
            rules: rules
        )
        node.hubID = id
        nodes.append(node)
        return node
    }

    func stopHub() async {
        _ = await hub?.stop()
        hub = nil
    }

    /// Starts the hub again on the same data: on `port` (as a hub that comes back where it
    /// was), else on a new port, which every node is told.
    func startHub(port: Int? = nil) async throws {
        let hub = try await HubProcess.start(arguments: hubArguments + (port.map { ["--port", "\($0)"] } ?? []))
        self.hub = hub
        for node in nodes { try node.connect(to: hub.url) }
    }

    /// Makes the hub believe `node` was last seen `days` ago (as after a long time offline),
    /// writing to the hub's database beside the running hub.
    func age(_ node: TestNode, days: Int) async throws {
        let sql = { (ago: String) in
            "UPDATE outpost_nodes SET last_seen_at = \(ago), created_at = \(ago) WHERE id = '\(node.hubID)'"
        }
        switch backend {
        case .sqlite: try await executeOnHub(sql("datetime('now', '-\(days) days')"))
        case .postgres: try await executeOnHub(sql("now() - interval '\(days) days'"))
        }
    }

    /// Keeps a copy of the tenant's rows, batch answers and counter in the hub's database: a
    /// backup as an operator would take one, for ``restoreHubBackup()``.
    func backUpHub() async throws {
        let tenantID = "(SELECT id FROM outpost_tenants WHERE name = '\(tenant)')"
        for table in ["outpost_records", "outpost_batches", "outpost_chunks"] {
            try await executeOnHub(
                "DROP TABLE IF EXISTS \(table)_\(tenant); "
                    + "CREATE TABLE \(table)_\(tenant) AS SELECT * FROM \(table) WHERE tenant_id = \(tenantID)"
            )
        }
        try await executeOnHub(
            "DROP TABLE IF EXISTS outpost_tenants_\(tenant); "
                + "CREATE TABLE outpost_tenants_\(tenant) AS SELECT * FROM outpost_tenants WHERE name = '\(tenant)'"
        )
    }

    /// Puts the tenant's data back as ``backUpHub()`` found it, beside the running hub: the hub
    /// forgets every push it acknowledged since, and will hand out their sequence numbers again.
    func restoreHubBackup() async throws {
        let tenantID = "(SELECT id FROM outpost_tenants WHERE name = '\(tenant)')"
        for table in ["outpost_records", "outpost_batches", "outpost_chunks"] {
            try await executeOnHub(
                "DELETE FROM \(table) WHERE tenant_id = \(tenantID); "
                    + "INSERT INTO \(table) SELECT * FROM \(table)_\(tenant)"
            )
        }
        try await executeOnHub(
            "UPDATE outpost_tenants SET last_seq = (SELECT last_seq FROM outpost_tenants_\(tenant)), "
                + "tombstone_floor = (SELECT tombstone_floor FROM outpost_tenants_\(tenant)) WHERE name = '\(tenant)'"
        )
    }

    /// An SQL condition that limits a statement on the hub's tables to this cluster's tenant
    /// (other tests' tenants share the PostgreSQL database).
    var tenantCondition: String {
        "tenant_id = (SELECT id FROM outpost_tenants WHERE name = '\(tenant)')"
    }

    /// Runs SQL in the hub's database beside the running hub, as an operator (or a broken
    /// restore) would: the hub is not told.
    func executeOnHub(_ sql: String) async throws {
        switch backend {
        case .sqlite:
            let hub = try DatabaseQueue(path: folder.appending("hub") + "/hub.sqlite")
            try await hub.write { db in try db.execute(sql: sql) }
        case .postgres:
            let url = try #require(hubArguments.last)
            let result = try await runProgram("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-c", sql])
            try #require(result.status == 0, "psql: \(result)")
        }
    }

    /// The number an SQL query gives in the hub's database (a count, say).
    func countOnHub(_ sql: String) async throws -> Int {
        switch backend {
        case .sqlite:
            let hub = try DatabaseQueue(path: folder.appending("hub") + "/hub.sqlite")
            return try await hub.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
        case .postgres:
            let url = try #require(hubArguments.last)
            let result = try await runProgram("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql])
            try #require(result.status == 0, "psql: \(result)")
            return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }

    /// Sets the tenant's scopes with `outpost hub scope set`, as an operator would.
    func setScopes(_ json: String) async throws {
        let file = folder.appending("scopes-\(UUID().uuidString).json")
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        try await Self.outpost(["hub", "scope", "set", "--tenant", tenant, "--file", file] + hubArguments)
    }

    /// Everyone syncs until no conflict waits: those the rules leave to a person are decided
    /// (keeping the node's side) and everyone syncs again, up to four rounds.
    func syncUntilSettled() async throws {
        for _ in 0..<4 {
            try await syncAll()
            var decided = 0
            for node in nodes {
                for conflict in try node.store.conflicts() {
                    _ = try node.store.resolveConflict(id: conflict.id, choosing: .local, by: "tester")
                    decided += 1
                }
            }
            if decided == 0 { return }
        }
    }

    /// Everyone syncs, twice round, so merges pushed in the first round reach everyone.
    func syncAll() async throws {
        for _ in 0..<2 {
            for node in nodes { try await node.sync() }
        }
    }

    /// Stops the hub and removes the folder on a thread of its own: a deinit cannot await, and
    /// the wait for the hub's exit must not hold one of the cooperative threads.
    deinit {
        inProcessHub?.close()
        let (hub, folder) = (hub, folder)
        DedicatedThread.startOrCrash {
            _ = hub?.stop()
            folder.remove()
        }
    }

    @discardableResult
    static func outpost(_ arguments: [String]) async throws -> String {
        let result = try await runProgram(OutpostExecutable.path, arguments)
        try #require(result.status == 0, "outpost \(arguments.joined(separator: " ")): \(result)")
        return result.stdout
    }
}
