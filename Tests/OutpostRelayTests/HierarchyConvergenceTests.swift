import Foundation
import GRDB
import Logging
import OutpostCore
import OutpostHub
import OutpostMerge
import OutpostRelay
import OutpostStore
import OutpostSync
import OutpostTesting
import Synchronization
import Testing

/// Seeded property test over a hierarchy: a cloud hub, two site hubs each relaying to it, two
/// nodes under each site and one on the cloud. Every round nodes write at random, WAN links are
/// cut and restored, answers are lost after the upstream committed them, relays restart from
/// their ledger, and whoever can reach their hub syncs; once the links are back and everyone has
/// synced, every node holds the same rows and nothing waits anywhere.
@Suite("Relay: random writes across a hierarchy converge", .serialized)
struct HierarchyConvergenceTests {
    enum CloudBackend: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    @Test(
        "two sites and the cloud: random writes, WAN cuts, lost answers and relay restarts converge",
        arguments: CloudBackend.allCases,
        Array(1...4) as [UInt64]
    )
    func hierarchyConverges(cloud backend: CloudBackend, seed: UInt64) async throws {
        var random = SplitMix64(seed: seed &* 104_729)
        let fleet = try await Fleet(cloud: backend)
        defer { fleet.close() }
        let keys = (0..<8).map { "k\($0)" }
        for _ in 0..<12 {
            for node in fleet.nodes {
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    try node.write(key: keys.randomElement(using: &random)!, using: &random)
                }
            }
            for site in fleet.sites {
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<3: site.link.set(cut: true)
                case 3..<6: site.link.set(cut: false)
                case 6: site.link.loseNextAnswer()
                case 7: try await site.restart()
                default: break
                }
            }
            for node in fleet.nodes.shuffled(using: &random) where Bool.random(using: &random) {
                _ = try? await node.engine.sync()
            }
            for site in fleet.sites.shuffled(using: &random) where Bool.random(using: &random) {
                try? await site.round()
            }
        }
        for site in fleet.sites { site.link.heal() }
        var differing: [String] = []
        for _ in 0..<12 {
            for site in fleet.sites { try await site.round() }
            for node in fleet.nodes {
                _ = try await node.engine.sync()
                for conflict in try node.store.conflicts() {
                    _ = try node.store.resolveConflict(id: conflict.id, choosing: .local, by: "test")
                }
            }
            // Rows the relays hold for a person are decided as the nodes' are (the site's side).
            for site in fleet.sites {
                for held in try site.ledger.pending(limit: 100, includingHeld: true) where held.held != nil {
                    try? site.ledger.decide(table: held.table, key: held.key, keep: .site)
                }
                try await site.round()
            }
            for node in fleet.nodes { _ = try await node.engine.sync() }
            differing = try fleet.differences()
            if differing.isEmpty { break }
        }
        #expect(differing.isEmpty, "seed \(seed): \(differing.joined(separator: "; "))")
        for site in fleet.sites {
            let waiting = try site.ledger.pending(limit: 100, includingHeld: true).map {
                "\($0.table)/\($0.key) v\($0.siteVersion) \($0.held ?? "")"
            }
            #expect(waiting.isEmpty, "seed \(seed): the relay's outbox is empty")
        }
    }
}

/// A loopback WAN link in process: cut (every request fails as unreachable) or losing the next
/// answer after the upstream handled its request, as when a link drops or a hub dies after the
/// cloud committed.
final class FaultyLink: HubTransport {
    private let inner: any HubTransport
    private let state = Mutex((cut: false, loseNext: false))

    init(_ inner: any HubTransport) { self.inner = inner }

    func set(cut: Bool) { state.withLock { $0.cut = cut } }
    /// Up, and losing nothing more.
    func heal() { state.withLock { $0 = (false, false) } }
    func loseNextAnswer() { state.withLock { $0.loseNext = true } }

    func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
        if state.withLock({ $0.cut }) { throw .unreachable("the WAN link is cut") }
        let answer = try await inner.send(request)
        let lost = state.withLock { state -> Bool in
            defer { state.loseNext = false }
            return state.loseNext
        }
        if lost { throw .unreachable("the answer was lost") }
        return answer
    }
}

/// The hierarchy, in process: hubs over real SQLite files (the cloud on PostgreSQL too), nodes
/// with real stores and engines, each site's relay over a ``FaultyLink``.
final class Fleet: @unchecked Sendable {
    final class Site: @unchecked Sendable {
        let hub: InProcessHub
        let link: FaultyLink
        let ledger: RelayLedger
        let tenant: String
        let client: HubClient
        private var relay: RelayExchange

        init(hub: InProcessHub, link: FaultyLink, ledger: RelayLedger, tenant: String, client: HubClient) async throws {
            self.hub = hub
            self.link = link
            self.ledger = ledger
            self.tenant = tenant
            self.client = client
            relay = try await Self.relay(hub: hub, ledger: ledger, tenant: tenant, client: client)
        }

        func round() async throws { try await relay.round() }

        /// A relay started again from its ledger, as after a crash: what it held in memory is gone.
        func restart() async throws {
            relay = try await Self.relay(hub: hub, ledger: ledger, tenant: tenant, client: client)
        }

        private static func relay(hub: InProcessHub, ledger: RelayLedger, tenant: String, client: HubClient)
            async throws -> RelayExchange
        {
            var logger = Logger(label: "outpost.relay.test")
            logger.logLevel = .critical
            let site = try await SiteTenant.open(storage: hub.hubStorage, name: tenant, ledger: ledger)
            return RelayExchange(site: site, ledger: ledger, client: client, batchSize: 5, logger: logger)
        }
    }

    struct Node {
        let store: Store
        let engine: SyncEngine

        func write(key: String, using random: inout SplitMix64) throws {
            let value = Int(random.next() % 100)
            try store.write { db in
                switch random.next() % 10 {
                case 0..<4:
                    try db.execute(
                        sql: """
                            INSERT INTO items (id, count, label) VALUES (?, ?, ?)
                            ON CONFLICT (id) DO UPDATE SET count = excluded.count
                            """,
                        arguments: [key, value, "l\(value % 5)"]
                    )
                case 4..<6:
                    try db.execute(sql: "UPDATE items SET label = ? WHERE id = ?", arguments: ["l\(value % 5)", key])
                case 6..<8:
                    try db.execute(
                        sql: "UPDATE items SET note = ?, count = count + 1 WHERE id = ?",
                        arguments: ["n\(value % 5)", key]
                    )
                case 8:
                    try db.execute(sql: "DELETE FROM items WHERE id = ?", arguments: [key])
                default:
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO agents (id, name, type) VALUES (?, ?, 'x')",
                        arguments: [key, "a\(value % 5)"]
                    )
                }
            }
        }
    }

    let folder: TemporaryDirectory
    let cloud: InProcessHub
    var sites: [Site] = []
    var nodes: [Node] = []
    private var hubs: [InProcessHub] = []

    init(cloud backend: HierarchyConvergenceTests.CloudBackend) async throws {
        folder = try TemporaryDirectory(prefix: "outpost-hierarchy")
        let database: HubDatabase
        switch backend {
        case .sqlite:
            database = .sqlite(path: folder.appending("cloud.sqlite"))
        case .postgres:
            let url = try #require(
                ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"],
                "Set OUTPOST_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway PostgreSQL and sets it)."
            )
            database = try HubDatabase(parsing: url)
        }
        let tenant = "tree" + String(UUID().uuidString.prefix(8)).lowercased()
        cloud = try await InProcessHub(database: database)
        hubs.append(cloud)
        try await cloud.addTenant(tenant)
        nodes.append(
            try node("cloud-node", token: try await cloud.addNode(tenant: tenant, name: "cloud-node").token, hub: cloud)
        )
        for index in 1...2 {
            let credential = try await cloud.addNode(tenant: tenant, name: "site-\(index)").token
            let hub = try await InProcessHub(database: .sqlite(path: folder.appending("site-\(index).sqlite")))
            hubs.append(hub)
            try await hub.addTenant(tenant)
            let link = FaultyLink(cloud.transport)
            let client = HubClient(
                remote: try RemoteConfiguration(url: "http://127.0.0.1:1", token: credential),
                transport: link
            )
            let ledger = try RelayLedger(path: folder.appending("site-\(index)-upstream.sqlite"))
            sites.append(try await Site(hub: hub, link: link, ledger: ledger, tenant: tenant, client: client))
            for number in 1...2 {
                let name = "site-\(index)-node-\(number)"
                nodes.append(try node(name, token: try await hub.addNode(tenant: tenant, name: name).token, hub: hub))
            }
        }
    }

    private func node(_ name: String, token: String, hub: InProcessHub) throws -> Node {
        let home = NodeHome(path: folder.appending(name))
        let store = try home.openStore(createIfMissing: true)
        try store.write { db in
            try db.execute(sql: "CREATE TABLE items (id TEXT PRIMARY KEY, count INTEGER, label TEXT, note TEXT)")
        }
        try store.track("items")
        let client = HubClient(
            remote: try RemoteConfiguration(url: "http://127.0.0.1:1", token: token),
            transport: hub.transport
        )
        return Node(store: store, engine: SyncEngine(store: store, client: client, resolver: ConflictResolver()))
    }

    /// Where the nodes' synced tables differ from the first node's, and what waits on a node.
    func differences() throws -> [String] {
        let reference = try nodes[0].store.syncedContents()
        var found: [String] = []
        for (index, node) in nodes.enumerated().dropFirst() {
            let contents = try node.store.syncedContents()
            for table in Set(reference.keys).union(contents.keys) where reference[table] != contents[table] {
                found.append("node \(index) \(table): \(contents[table] ?? []) vs \(reference[table] ?? [])")
            }
        }
        for (index, node) in nodes.enumerated() {
            let waiting = try node.store.queueEntries(status: nil).map { "\($0.table)/\($0.key) \($0.status)" }
            if !waiting.isEmpty { found.append("node \(index) waits: \(waiting)") }
        }
        return found
    }

    func close() {
        for hub in hubs { hub.close() }
        folder.remove()
    }
}
