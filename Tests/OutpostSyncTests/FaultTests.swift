import Foundation
import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore
import OutpostSync
import OutpostSystem
import OutpostTesting
import Testing

/// Lost answers, killed nodes, a capped link: the queue loses nothing and applies nothing twice.
@Suite("Sync: faults", .serialized)
struct FaultTests {
    @Test(
        "an answer lost after the hub committed: the batch is sent again and applied exactly once",
        arguments: SyncBackend.allCases
    )
    func lostAnswerAppliesOnce(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let proxy = try LoopbackProxy(upstreamPort: try #require(cluster.hub).port)
        defer { proxy.close() }
        try a.connect(to: "http://127.0.0.1:\(proxy.port)")
        for index in 0..<40 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'n', 'x')", ["a\(index)"])
        }
        proxy.cutNextAnswers(1)
        await #expect(throws: SyncFailure.self) { try await a.engine.push() }
        #expect(proxy.answersCut == 1)
        #expect(try a.queueCount(status: "processing") == 40, "the batch stays in flight, to be sent again")

        // The row changes again before the retry: the retry still sends the batch as it was,
        // and the new edit follows as its own change.
        try a.execute("UPDATE agents SET name = 'renamed' WHERE id = 'a0'")
        let report = try await a.engine.push()
        #expect(report.pushed == 41)
        #expect(try a.queueCount(status: "processing") == 0 && a.queueCount(status: "pending") == 0)

        try await b.sync()
        #expect(try b.syncedContents() == a.syncedContents())
        let rows = try await b.engine.client.pull(after: 0, limit: 1000).value.rows
        #expect(rows.count == 40)
        #expect(rows.filter { $0.key != "a0" }.allSatisfy { $0.version == 1 }, "each insert applied once")
        #expect(rows.first { $0.key == "a0" }?.version == 2, "the insert once, the rename once")
    }

    @Test("a node killed with SIGKILL mid-push loses nothing and duplicates nothing", arguments: SyncBackend.allCases)
    func killedMidPush(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let count = 12_000
        try await a.store.write { db in
            try db.execute(sql: "INSERT INTO workflows (id, name) VALUES ('wf', 'Flow')")
            for index in 0..<count {
                try db.execute(
                    sql: "INSERT INTO executions (id, workflow_id, status, input_data) VALUES (?, 'wf', 'done', ?)",
                    arguments: ["e\(index)", "{\"n\":\(index)}"]
                )
            }
        }
        let sync = try ChildProcess(OutpostExecutable.path, ["sync", "--home", a.home]).start()
        // Kill it once some, not all, of the queue is confirmed.
        var confirmed = 0
        try await eventually("part of the queue is confirmed", timeout: .seconds(60), every: .milliseconds(2)) {
            confirmed = try a.queueCount(status: "completed")
            return confirmed > 0 || !sync.isRunning
        }
        sync.kill()
        #expect(sync.wait() == .signalled(SIGKILL), "the sync should still have been running")
        #expect(confirmed > 0 && confirmed < count)

        let report = try await a.sync()
        #expect(report.pushed + confirmed >= count)
        #expect(try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 0)
        try await b.sync()
        #expect(try await b.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM executions") } == count)
        #expect(try b.syncedContents() == a.syncedContents())
        var cursor: Int64 = 0
        var versions: [Int64: Int] = [:]
        while true {
            let page = try await b.engine.client.pull(after: cursor, limit: 5000).value
            for row in page.rows { versions[row.version, default: 0] += 1 }
            cursor = page.cursor
            if !page.more { break }
        }
        #expect(versions == [1: count + 1], "every row once, at version 1: nothing applied twice")
    }

    @Test("outpost sync exits non-zero when the hub is away, and the queue stays", arguments: SyncBackend.allCases)
    func syncCommandWithoutHub(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 1, hub: .process)
        let a = cluster.nodes[0]
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('a1', 'n', 'x')")
        await cluster.stopHub()
        let result = try await runProgram(OutpostExecutable.path, ["sync", "--home", a.home])
        #expect(result.status != 0)
        #expect(result.stderr.contains("could not be reached"))
        #expect(try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 1)
    }
}
