import Foundation
import GRDB
import OutpostCore
import OutpostStore
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
        let cluster = try SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let daemons = try [a, b].map { node in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: OutpostExecutable.path)
            process.arguments = ["run", "--home", node.home]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        defer { for daemon in daemons where daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        // A second engine on the same node is refused while the daemon holds the lock.
        try await Task.sleep(for: .milliseconds(500))
        let refused = try runProgram(OutpostExecutable.path, ["sync", "--home", a.home])
        #expect(refused.status != 0 && refused.stderr.contains("is syncing this node"))

        try a.execute("INSERT INTO agents (id, name, type) VALUES ('live', 'Live camera', 'vision')")
        let deadline = ContinuousClock.now + .seconds(10)
        var arrived = false
        while ContinuousClock.now < deadline, !arrived {
            arrived = try b.store.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM agents WHERE id = 'live')") ?? false
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(arrived, "the change should reach B through both daemons")

        for daemon in daemons {
            daemon.terminate()
            daemon.waitUntilExit()
            #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
        }
        #expect(try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 0)
    }

    @Test(
        "a daemon rides out a hub outage: it stands still, notices the hub back within seconds, drains; /metrics shows it",
        arguments: SyncBackend.allCases
    )
    func daemonRidesOutOutage(backend: SyncBackend) async throws {
        let cluster = try SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let hubPort = try #require(cluster.hub).port
        let daemon = try HubProcess.launch(
            ["run", "--home", a.home, "--metrics", "127.0.0.1:0"],
            readyMarker: "metrics on http://127.0.0.1:"
        )
        defer { daemon.kill() }
        let metrics = HubHTTPClient(baseURL: "http://127.0.0.1:\(daemon.port)", token: "")
        func sample(_ name: String) async throws -> Double? {
            let text = try await metrics.send("/metrics", method: "GET").body
            return text.split(separator: "\n").first { $0.hasPrefix("outpost_node_\(name) ") }
                .flatMap { Double($0.split(separator: " ")[1]) }
        }
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('before', 'n', 'x')")
        try await waitUntil("the first change is pushed") { try await sample("changes_pushed_total") == 1 }
        #expect(try await sample("link_up") == 1)

        cluster.stopHub()
        for index in 0..<20 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'offline', 'x')", ["o\(index)"])
        }
        try await waitUntil("the daemon sees the hub gone") { try await sample("link_up") == 0 }
        let probing = try #require(try await sample("probe_interval_seconds"))
        #expect(probing < 10, "probing faster than the online interval while the hub is away")
        try await Task.sleep(for: .seconds(2))
        #expect(try a.queueCount(status: "failed") == 0, "an outage must not use up attempts")

        try cluster.startHub(port: hubPort)
        let back = ContinuousClock.now
        try await waitUntil("the queue drains", timeout: .seconds(10)) {
            try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 0
        }
        let resumedAfter = ContinuousClock.now - back
        #expect(resumedAfter < .seconds(5), "resumed \(resumedAfter) after the hub came back")
        #expect(try await sample("link_up") == 1)
        #expect(try await sample("changes_pushed_total") == 21)
        #expect(try await sample("link_latency_seconds") != nil)
        try await b.sync()
        #expect(try b.syncedContents() == a.syncedContents())
        #expect(daemon.stop() == 0, "SIGTERM ends the daemon and its metrics server cleanly")
    }

    /// Polls `condition` every 50 ms until it holds; fails the test after `timeout`.
    private func waitUntil(
        _ what: String,
        timeout: Duration = .seconds(20),
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }
}
