import Foundation
import GRDB
import OutpostCore
import OutpostSystem
import OutpostTesting
import Synchronization
import Testing

/// A three-level fleet of real processes for the site hub tests: a cloud hub (SQLite or
/// PostgreSQL), site hubs (SQLite, each served with `--upstream` through a ``WANLink`` that can
/// be cut), nodes under each site, and one node attached to the cloud directly.
final class SiteTopology: @unchecked Sendable {
    enum CloudBackend: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A loopback link between a site hub and the cloud that can be cut (every connection
    /// through it closed, new ones closed at their first byte) and counts the bytes it carries.
    final class WANLink: Sendable {
        private let relay: TCPRelay
        private let state: State

        private final class State: Sendable {
            let down = Mutex(false)
            let bytesToSite = Mutex(0)
            let bytesToCloud = Mutex(0)
        }

        init(cloudPort: Int) throws {
            let state = State()
            self.state = state
            relay = try TCPRelay(upstreamPort: cloudPort) { direction, count in
                if state.down.withLock({ $0 }) { return true }
                switch direction {
                case .toClient: state.bytesToSite.withLock { $0 += count }
                case .toUpstream: state.bytesToCloud.withLock { $0 += count }
                }
                return false
            }
        }

        var port: Int { relay.port }
        var bytesToSite: Int { state.bytesToSite.withLock { $0 } }
        func cut() { state.down.withLock { $0 = true } }
        func restore() { state.down.withLock { $0 = false } }
        func close() { relay.close() }
    }

    /// A site: its hub's home, the process serving it, its link up and its nodes.
    final class Site: @unchecked Sendable {
        let home: String
        let link: WANLink
        var hub: HubProcess
        var nodes: [CLINode] = []
        let serveArguments: [String]

        init(home: String, link: WANLink, hub: HubProcess, serveArguments: [String]) {
            self.home = home
            self.link = link
            self.hub = hub
            self.serveArguments = serveArguments
        }

        /// Starts the site hub again with the arguments it was first served with.
        func restart() async throws {
            hub = try await HubProcess.start(arguments: serveArguments)
            for node in nodes {
                let pointed = try await node.outpost(
                    "remote",
                    "set",
                    hub.url,
                    "--token-file",
                    node.folder.appending("token")
                )
                try #require(pointed.status == 0, "\(pointed)")
            }
        }

        func status() async throws -> JSONValue {
            let result = try await OutpostExecutable.run(["hub", "status", "--json", "--home", home])
            try #require(result.status == 0, "\(result)")
            return try JSONValue(parsing: result.stdout)
        }
    }

    let folder: TemporaryDirectory
    let tenant: String
    private(set) var cloud: HubProcess
    let cloudDatabase: [String]
    let cloudNode: CLINode
    var sites: [Site] = []

    /// A cloud hub of `backend` with one node of its own, and `sites` site hubs with
    /// `nodesPerSite` nodes each.
    /// - Parameters:
    ///   - siteArguments: more `hub serve` arguments for every site hub.
    ///   - cloudArguments: more `hub serve` arguments for the cloud hub.
    init(
        cloud backend: CloudBackend,
        sites siteCount: Int,
        nodesPerSite: Int,
        siteArguments: [String] = [],
        cloudArguments: [String] = []
    ) async throws {
        folder = try TemporaryDirectory(prefix: "outpost-sites")
        tenant = "acme" + String(UUID().uuidString.prefix(8)).lowercased()
        switch backend {
        case .sqlite:
            cloudDatabase = ["--home", folder.appending("cloud")]
        case .postgres:
            let url = try #require(
                ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"],
                "Set OUTPOST_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway PostgreSQL and sets it)."
            )
            cloudDatabase = ["--database", url]
        }
        try await Self.hub(["tenant", "add", tenant], cloudDatabase)
        cloud = try await HubProcess.start(arguments: cloudDatabase + cloudArguments)
        cloudNode = try await CLINode()
        try await Self.attach(
            cloudNode,
            named: "cloud-node",
            tenant: tenant,
            hubArguments: cloudDatabase,
            url: cloud.url
        )
        for index in 1...siteCount {
            let home = folder.appending("site-\(index)")
            let token = folder.appending("site-\(index).token")
            // Site 1's credential is a relay's (its nodes' changes keep their writers up there);
            // site 2's is plain, as the minimal set-up in docs/clusters.md makes it.
            let relay = index == 1 ? ["--relay"] : []
            try Self.write(
                token: try await Self.hub(
                    ["node", "add", "--tenant", tenant, "--name", "site-\(index)"] + relay,
                    cloudDatabase
                ),
                to: token
            )
            try await Self.hub(["tenant", "add", tenant], ["--home", home])
            let link = try WANLink(cloudPort: cloud.port)
            let arguments =
                [
                    "--home", home, "--upstream", "http://127.0.0.1:\(link.port)", "--upstream-token-file", token,
                    "--upstream-interval", "0.1s",
                ] + siteArguments
            let site = Site(
                home: home,
                link: link,
                hub: try await HubProcess.start(arguments: arguments),
                serveArguments: arguments
            )
            for number in 1...nodesPerSite {
                let node = try await CLINode()
                try await Self.attach(
                    node,
                    named: "site-\(index)-node-\(number)",
                    tenant: tenant,
                    hubArguments: ["--home", home],
                    url: site.hub.url
                )
                site.nodes.append(node)
            }
            sites.append(site)
        }
    }

    /// Starts the cloud hub again on the port it had, so links and nodes find it where they did.
    func restartCloud() async throws {
        cloud = try await HubProcess.start(arguments: cloudDatabase + ["--port", String(cloud.port)])
    }

    /// Runs `body` on a fresh topology and stops every process after it, whatever happened.
    static func run(
        cloud backend: CloudBackend,
        sites: Int,
        nodesPerSite: Int,
        siteArguments: [String] = [],
        cloudArguments: [String] = [],
        _ body: (SiteTopology) async throws -> Void
    ) async throws {
        let fleet = try await SiteTopology(
            cloud: backend,
            sites: sites,
            nodesPerSite: nodesPerSite,
            siteArguments: siteArguments,
            cloudArguments: cloudArguments
        )
        do {
            try await body(fleet)
        } catch {
            await fleet.stop()
            throw error
        }
        await fleet.stop()
    }

    /// Waits until the two nodes, syncing, hold the same agents.
    static func eventuallyAgree(_ one: CLINode, _ other: CLINode) async throws {
        try await eventually("the two nodes hold the same agents", timeout: .seconds(30)) {
            try await one.sync()
            try await other.sync()
            let (here, there) = (try await one.agents(), try await other.agents())
            return here == there
        }
    }

    /// Every node, the cloud's own last.
    var allNodes: [CLINode] { sites.flatMap(\.nodes) + [cloudNode] }

    func stop() async {
        for site in sites {
            await site.hub.stop()
            site.link.close()
        }
        await cloud.stop()
        for node in allNodes { node.folder.remove() }
        folder.remove()
    }

    /// `outpost hub ARGUMENTS HUB-ARGUMENTS`, required to succeed; a `--json` node token when
    /// it adds a node.
    @discardableResult
    static func hub(_ arguments: [String], _ hubArguments: [String]) async throws -> String {
        let json = arguments.starts(with: ["node", "add"])
        let result = try await OutpostExecutable.run(["hub"] + arguments + hubArguments + (json ? ["--json"] : []))
        try #require(result.status == 0, "hub \(arguments): \(result)")
        return json ? try #require(try JSONValue(parsing: result.stdout)["token"]?.stringValue) : ""
    }

    private static func write(token: String, to path: String) throws {
        try token.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
    }

    private static func attach(
        _ node: CLINode,
        named name: String,
        tenant: String,
        hubArguments: [String],
        url: String
    ) async throws {
        let token = node.folder.appending("token")
        try write(token: try await hub(["node", "add", "--tenant", tenant, "--name", name], hubArguments), to: token)
        let pointed = try await node.outpost("remote", "set", url, "--token-file", token)
        try #require(pointed.status == 0, "\(pointed)")
    }
}

extension CLINode {
    /// Runs SQL on the node, required to succeed.
    func sql(_ statement: String) async throws {
        let result = try await outpost("sql", statement)
        try #require(result.status == 0, "\(statement): \(result)")
    }

    /// Syncs with the node's hub, required to succeed.
    func sync() async throws {
        let result = try await outpost("sync")
        try #require(result.status == 0, "sync: \(result)")
    }

    /// The writer the node's hub named for `table`/`key` when the node last pulled or pushed it.
    func writer(of table: String, key: String) async throws -> String? {
        try await DatabaseQueue(path: storePath).read { db in
            try String.fetchOne(
                db,
                sql: "SELECT origin FROM outpost_sync_rows WHERE table_name = ? AND record_id = ?",
                arguments: [table, key]
            )
        }
    }

    /// The name of agent `key` as `sql --json` prints it (an empty array when there is none).
    func name(of key: String) async throws -> String {
        try await outpost("sql", "SELECT name FROM agents WHERE id = '\(key)'", "--json").stdout
    }

    /// The node's agents (id, name, type), in id order, as JSON text.
    func agents() async throws -> String {
        let result = try await outpost("sql", "SELECT id, name, type FROM agents ORDER BY id", "--json")
        try #require(result.status == 0, "\(result)")
        return result.stdout
    }
}
