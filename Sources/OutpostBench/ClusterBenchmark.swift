import Foundation
import GRDB
import Logging
import OutpostCore
import OutpostHub
import OutpostMerge
import OutpostStore
import OutpostSync
import OutpostSystem
import Synchronization

/// `outpost bench cluster`: what a site hub costs and saves, with real hub processes on
/// 127.0.0.1 and each WAN link a ``TCPRelay`` that counts its bytes or refuses everything.
///
/// - **Latency inside a cut site**: a row written on one node (`outpost run`) until the other
///   node of the same site holds it, through a site hub whose uplink is down; the baseline is
///   the same two nodes on a plain hub, in the same run (target: p99 ≤ 1.2× the baseline's).
/// - **WAN bytes of a fan-out**: 10,000 rows a cloud node pushes, until every node of a site
///   holds them; bytes crossing the site's WAN link for a site of 10 nodes against a site of 1
///   (target ≤ 1.1: a change crosses once per site, not once per node).
package struct ClusterBenchmark: Sendable {
    let samples: Int
    let rows: Int
    let largeSite: Int
    let executable: String
    let folder: String

    package init(samples: Int, rows: Int, largeSite: Int, executable: String) {
        self.samples = samples
        self.rows = rows
        self.largeSite = largeSite
        self.executable = executable
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("outpost-cluster-\(UUID().uuidString)")
            .path
    }

    package struct Result: Encodable, Sendable {
        var machine: String
        var samples: Int
        var directP50Milliseconds: Double
        var directP99Milliseconds: Double
        var cutSiteP50Milliseconds: Double
        var cutSiteP99Milliseconds: Double
        var rows: Int
        var largeSite: Int
        var wanBytesOneNode: Int
        var wanBytesLargeSite: Int

        var latencyRatio: Double { cutSiteP99Milliseconds / directP99Milliseconds }
        var bytesRatio: Double { Double(wanBytesLargeSite) / Double(wanBytesOneNode) }

        enum CodingKeys: String, CodingKey {
            case machine, samples, rows
            case directP50Milliseconds = "direct_p50_ms"
            case directP99Milliseconds = "direct_p99_ms"
            case cutSiteP50Milliseconds = "cut_site_p50_ms"
            case cutSiteP99Milliseconds = "cut_site_p99_ms"
            case largeSite = "large_site_nodes"
            case wanBytesOneNode = "wan_bytes_one_node"
            case wanBytesLargeSite = "wan_bytes_large_site"
            case latencyRatio = "latency_p99_ratio"
            case bytesRatio = "wan_bytes_ratio"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(machine, forKey: .machine)
            try container.encode(samples, forKey: .samples)
            try container.encode(rows, forKey: .rows)
            try container.encode(directP50Milliseconds, forKey: .directP50Milliseconds)
            try container.encode(directP99Milliseconds, forKey: .directP99Milliseconds)
            try container.encode(cutSiteP50Milliseconds, forKey: .cutSiteP50Milliseconds)
            try container.encode(cutSiteP99Milliseconds, forKey: .cutSiteP99Milliseconds)
            try container.encode(largeSite, forKey: .largeSite)
            try container.encode(wanBytesOneNode, forKey: .wanBytesOneNode)
            try container.encode(wanBytesLargeSite, forKey: .wanBytesLargeSite)
            try container.encode(latencyRatio, forKey: .latencyRatio)
            try container.encode(bytesRatio, forKey: .bytesRatio)
        }

        package var report: String {
            func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
            return """
                machine: \(machine)
                write on one node → visible on the other node of its site (\(samples) samples):
                  plain hub (baseline)         p50 \(ms(directP50Milliseconds))  p99 \(ms(directP99Milliseconds))
                  site hub, uplink cut         p50 \(ms(cutSiteP50Milliseconds))  p99 \(ms(cutSiteP99Milliseconds))
                  p99 ratio \(String(format: "%.2f", latencyRatio)) (target ≤ 1.2)
                WAN bytes for \(rows) rows fanned out to a site:
                  1 node      \(wanBytesOneNode) B
                  \(largeSite) nodes    \(wanBytesLargeSite) B
                  ratio \(String(format: "%.2f", bytesRatio)) (target ≤ 1.1)
                """
        }
    }

    package func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let direct = try await latency(throughSite: false)
        progress(String(format: "plain hub: p50 %.1f ms, p99 %.1f ms", direct.p50, direct.p99))
        let cut = try await latency(throughSite: true)
        progress(String(format: "site hub with its uplink cut: p50 %.1f ms, p99 %.1f ms", cut.p50, cut.p99))
        let one = try await fanOut(nodes: 1)
        progress("fan-out to a site of 1 node: \(one) WAN bytes")
        let many = try await fanOut(nodes: largeSite)
        progress("fan-out to a site of \(largeSite) nodes: \(many) WAN bytes")
        return Result(
            machine: MachineDescription.current,
            samples: samples,
            directP50Milliseconds: direct.p50,
            directP99Milliseconds: direct.p99,
            cutSiteP50Milliseconds: cut.p50,
            cutSiteP99Milliseconds: cut.p99,
            rows: rows,
            largeSite: largeSite,
            wanBytesOneNode: one,
            wanBytesLargeSite: many
        )
    }

    // MARK: Latency

    /// Two nodes running `outpost run` on one hub: a plain one, or a site hub whose uplink
    /// refuses every byte.
    private func latency(throughSite: Bool) async throws -> (p50: Double, p99: Double) {
        let run = folder + "/latency-\(throughSite ? "site" : "direct")"
        let (hubs, link, nodeHub) = try await topology(in: run, site: throughSite, cut: true)
        defer {
            for hub in hubs { Self.stop(hub.process) }
            link?.close()
        }
        let tokens = try await Self.addNodes(2, tenant: "acme", home: nodeHub.home)
        var homes: [String] = []
        for (index, token) in tokens.enumerated() {
            let home = run + "/node-\(index)"
            _ = try Self.node(home: home, url: "http://127.0.0.1:\(nodeHub.port)", token: token)
            homes.append(home)
        }
        let daemons = try homes.map { try ChildProcess(executable, ["run", "--home", $0]).start() }
        defer { for daemon in daemons { Self.stop(daemon) } }
        let writer = try NodeHome(path: homes[0]).openStore()
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabasePool(path: homes[1] + "/store.sqlite", configuration: configuration)
        try await Task.sleep(for: .seconds(1))
        var ids = UUIDv7()
        var measured: [Double] = []
        for _ in 0..<samples {
            let key = ids.next()
            let written = ContinuousClock.now
            try await writer.write { db in
                try db.execute(
                    sql: "INSERT INTO agents (id, name, type) VALUES (?, 'latency', 'bench')",
                    arguments: [key]
                )
            }
            let deadline = written + .seconds(10)
            while ContinuousClock.now < deadline {
                let seen = try await reader.read { db in
                    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?)", arguments: [key])
                }
                if seen == true {
                    measured.append(Self.milliseconds(ContinuousClock.now - written))
                    break
                }
                try await Task.sleep(for: .microseconds(200))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard measured.count == samples else {
            throw OutpostError(.storage, "\(samples - measured.count) row(s) did not reach the other node within 10 s.")
        }
        measured.sort()
        return (measured[measured.count / 2], measured[min(measured.count - 1, measured.count * 99 / 100)])
    }

    // MARK: Fan-out

    /// WAN bytes until every one of `nodes` site nodes holds the rows a cloud node pushed.
    private func fanOut(nodes count: Int) async throws -> Int {
        let run = folder + "/fan-out-\(count)"
        let (hubs, link, site) = try await topology(in: run, site: true, cut: false)
        defer {
            for hub in hubs { Self.stop(hub.process) }
            link?.close()
        }
        guard let link else { throw OutpostError(.storage, "The fan-out needs a site hub.") }
        let cloud = hubs[0]
        let cloudToken = try await Self.addNodes(1, tenant: "acme", home: cloud.home)[0]
        let cloudNode = try Self.node(
            home: run + "/cloud-node",
            url: "http://127.0.0.1:\(cloud.port)",
            token: cloudToken
        )
        var nodes: [(store: Store, client: HubClient)] = []
        for (index, token) in try await Self.addNodes(count, tenant: "acme", home: site.home).enumerated() {
            nodes.append(
                try Self.node(home: run + "/site-node-\(index)", url: "http://127.0.0.1:\(site.port)", token: token)
            )
        }
        try await cloudNode.store.write { db in
            for index in 0..<rows {
                try db.execute(
                    sql: "INSERT INTO agents (id, name, type, config) VALUES (?, ?, 'sensor', ?)",
                    arguments: [
                        String(format: "fan-%06d", index), "sensor \(index)",
                        #"{"site":"plant-\#(index % 7)","line":\#(index % 13),"unit":"celsius"}"#,
                    ]
                )
            }
        }
        let before = link.bytes
        _ = try await Self.engine(cloudNode).push()
        let deadline = ContinuousClock.now + .seconds(600)
        var done = Array(repeating: false, count: nodes.count)
        while done.contains(false) {
            guard ContinuousClock.now < deadline else {
                throw OutpostError(.storage, "The site's nodes did not all receive \(rows) rows within 10 minutes.")
            }
            for (index, node) in nodes.enumerated() where !done[index] {
                _ = try await Self.engine(node).pull()
                let held = try await node.store.read { db in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM agents WHERE id LIKE 'fan-%'") ?? 0
                }
                done[index] = held == rows
            }
            if done.contains(false) { try await Task.sleep(for: .milliseconds(200)) }
        }
        return link.bytes - before
    }

    // MARK: Parts

    private struct Hub {
        var process: ChildProcess.Running
        var port: Int
        var home: String
    }

    /// A cloud hub and, with `site`, a site hub relaying to it through a counting link (cut
    /// from the start with `cut`); returns the hubs, the link and the hub nodes attach to.
    private func topology(in run: String, site: Bool, cut: Bool) async throws -> ([Hub], WANLink?, Hub) {
        let cloudHome = run + "/cloud"
        try await Self.addTenant("acme", home: cloudHome)
        let cloud = try startHub(["--home", cloudHome])
        guard site else { return ([cloud], nil, cloud) }
        let siteHome = run + "/site"
        let token = try await Self.addNodes(1, tenant: "acme", home: cloudHome)[0]
        let tokenFile = run + "/site.token"
        FileManager.default.createFile(
            atPath: tokenFile,
            contents: Data(token.utf8),
            attributes: [.posixPermissions: 0o600]
        )
        try await Self.addTenant("acme", home: siteHome)
        let link = try WANLink(cloudPort: cloud.port, down: cut)
        let siteHub = try startHub([
            "--home", siteHome, "--upstream", "http://127.0.0.1:\(link.port)", "--upstream-token-file", tokenFile,
            "--upstream-interval", "0.2s",
        ])
        return ([cloud, siteHub], link, siteHub)
    }

    private func startHub(_ arguments: [String]) throws -> Hub {
        let process = try ChildProcess(
            executable,
            ["hub", "serve", "--port", "0", "--rate-limit", "100000"] + arguments
        ).start(capturing: .everything)
        guard let port = process.waitForPort(after: "listening on http://127.0.0.1:", timeout: .seconds(60)) else {
            process.terminate()
            throw OutpostError(.storage, "A hub did not start: \(process.output)")
        }
        return Hub(process: process, port: port, home: arguments[1])
    }

    private static func stop(_ process: ChildProcess.Running) {
        process.terminate()
        process.wait()
    }

    private static func addTenant(_ name: String, home: String) async throws {
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try await database(home).withStorage(logger: quiet) { storage in
            try await storage.migrate()
            _ = try await storage.addTenant(name: name)
        }
    }

    private static func addNodes(_ count: Int, tenant: String, home: String) async throws -> [String] {
        try await database(home).withStorage(logger: quiet) { storage in
            var tokens: [String] = []
            for _ in 0..<count {
                let token = NodeToken.generate()
                _ = try await storage.addNode(
                    tenant: tenant,
                    name: "node-\(UUID().uuidString.prefix(8))",
                    tokenHash: NodeToken.hash(token)
                )
                tokens.append(token)
            }
            return tokens
        }
    }

    private static func database(_ home: String) -> HubDatabase { .sqlite(path: home + "/hub.sqlite") }

    private static let quiet: Logger = {
        var logger = Logger(label: "outpost.bench.cluster")
        logger.logLevel = .error
        return logger
    }()

    private static func node(home: String, url: String, token: String) throws -> (store: Store, client: HubClient) {
        let home = NodeHome(path: home)
        let store = try home.openStore(createIfMissing: true)
        let remote = try RemoteConfiguration(url: url, token: token)
        try remote.save(home: home.path)
        return (store, HubClient(remote: remote))
    }

    private static func engine(_ node: (store: Store, client: HubClient)) -> SyncEngine {
        var configuration = SyncConfiguration()
        configuration.initialBatchSize = 1_000
        return SyncEngine(
            store: node.store,
            client: node.client,
            resolver: ConflictResolver(),
            configuration: configuration
        )
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// A site's WAN link on loopback: counts the bytes it carries both ways, or, while down,
    /// closes every connection at its first byte.
    private final class WANLink: Sendable {
        private final class Counter: Sendable {
            let bytes = Mutex(0)
        }

        private let relay: TCPRelay
        private let counter = Counter()

        init(cloudPort: Int, down: Bool) throws {
            let counter = self.counter
            relay = try TCPRelay(upstreamPort: cloudPort) { _, count in
                if down { return true }
                counter.bytes.withLock { $0 += count }
                return false
            }
        }

        var port: Int { relay.port }
        var bytes: Int { counter.bytes.withLock { $0 } }
        func close() { relay.close() }
    }
}
