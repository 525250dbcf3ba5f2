import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostSystem
import OutpostTesting
import Testing

/// `outpost run` as users run it: two node daemons and a live hub, as separate processes.
@Suite("Sync: outpost run", .serialized)
struct DaemonTests {
    @Test(
        "two daemons carry a change from A to B without anyone calling sync; SIGTERM stops them cleanly",
        arguments: SyncBackend.allCases
    )
    func daemonsCarryChanges(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let daemons = try [a, b].map { node in
            try ChildProcess(OutpostExecutable.path, ["run", "--home", node.home]).start()
        }
        defer { for daemon in daemons { daemon.kill() } }

        // A second engine on the same node is refused while the daemon holds the lock; the
        // holder writes its pid into the lock file once it has the lock.
        try await eventually("A's daemon holds the sync lock") {
            FileManager.default.contents(atPath: a.home + "/sync.lock")
                == Data("\(daemons[0].processIdentifier)\n".utf8)
        }
        let refused = try await runProgram(OutpostExecutable.path, ["sync", "--home", a.home])
        #expect(refused.status != 0 && refused.stderr.contains("is syncing this node"))

        try a.execute("INSERT INTO agents (id, name, type) VALUES ('live', 'Live camera', 'vision')")
        try await eventually(
            "the change reaches B through both daemons",
            timeout: .seconds(10),
            every: .milliseconds(20)
        ) {
            try b.store.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM agents WHERE id = 'live')") ?? false
            }
        }

        for daemon in daemons {
            daemon.terminate()
            #expect(daemon.wait() == .exited(0))
        }
        #expect(try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 0)
    }

    @Test(
        "a daemon rides out a hub outage: it stands still, notices the hub back within seconds, drains; /metrics shows it",
        arguments: SyncBackend.allCases
    )
    func daemonRidesOutOutage(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let hubPort = try #require(cluster.hub).port
        let daemon = try await HubProcess.launch(
            ["run", "--home", a.home, "--metrics", "127.0.0.1:0", "--health-max-sync-age", "3s"],
            readyMarker: "metrics on http://127.0.0.1:"
        )
        defer { daemon.kill() }
        let metrics = HubHTTPClient(baseURL: "http://127.0.0.1:\(daemon.port)", token: "")
        func health() async throws -> HubHTTPClient.Answer { try await metrics.send("/health", method: "GET") }
        func sample(_ name: String) async throws -> Double? {
            let text = try await metrics.send("/metrics", method: "GET").body
            return text.split(separator: "\n").first { $0.hasPrefix("outpost_node_\(name) ") }
                .flatMap { Double($0.split(separator: " ")[1]) }
        }
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('before', 'n', 'x')")
        try await eventually("the first change is pushed") { try await sample("changes_pushed_total") == 1 }
        #expect(try await sample("link_up") == 1)
        // The daemon's own exchanges are the node's last sync (no `outpost sync` ran here).
        #expect(try await sample("last_sync_timestamp_seconds") != nil)
        #expect(try await health().status == 200)

        await cluster.stopHub()
        for index in 0..<20 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'offline', 'x')", ["o\(index)"])
        }
        try await eventually("the daemon sees the hub gone") { try await sample("link_up") == 0 }
        let probing = try #require(try await sample("probe_interval_seconds"))
        #expect(probing < 10, "probing faster than the online interval while the hub is away")
        // Three failed probes stretch the probe interval to a second: the daemon has kept trying.
        try await eventually("the daemon has probed the missing hub three times") {
            try await sample("probe_interval_seconds") ?? 0 >= 1
        }
        #expect(try a.queueCount(status: "failed") == 0, "an outage must not use up attempts")
        try await eventually("/health says the hub has been away too long") {
            let answer = try await health()
            return answer.status == 503 && answer.body.contains("no exchange with the hub")
        }
        #expect(try await metrics.send("/live", method: "GET").status == 200, "alive all the same")

        try await cluster.startHub(port: hubPort)
        let back = ContinuousClock.now
        try await eventually("the queue drains", timeout: .seconds(10)) {
            try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 0
        }
        let resumedAfter = ContinuousClock.now - back
        #expect(resumedAfter < .seconds(5), "resumed \(resumedAfter) after the hub came back")
        #expect(try await sample("link_up") == 1)
        #expect(try await sample("changes_pushed_total") == 21)
        #expect(try await sample("link_latency_seconds") != nil)
        try await eventually("/health is back to 200 once the node has synced again") {
            try await health().status == 200
        }
        try await b.sync()
        #expect(try b.syncedContents() == a.syncedContents())
        #expect(await daemon.stop() == 0, "SIGTERM ends the daemon and its metrics server cleanly")
    }
}
