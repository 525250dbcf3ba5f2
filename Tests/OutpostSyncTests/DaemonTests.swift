import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostTesting
import Testing

/// `outpost run` as users run it: two node daemons and a live hub, as separate processes.
@Suite("Sync: outpost run", .serialized)
struct DaemonTests {
    @Test("two daemons carry a change from A to B without anyone calling sync; SIGTERM stops them cleanly")
    func daemonsCarryChanges() async throws {
        let cluster = try SyncCluster(.sqlite, nodes: 2)
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
}
