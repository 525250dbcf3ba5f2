import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostProtocol
import OutpostRunner
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// Runs made on one node, offline, reach the hub and the other nodes like any row; a failed
/// one goes first. On both hub backends.
@Suite("Executions sync")
struct ExecutionSyncTests {
    @Test(
        "a run on node A, made offline, is on node B after both sync, step results and all",
        arguments: SyncBackend.allCases
    )
    func executionsReachOtherNodes(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        _ = try a.store.addAgent(id: "agent", name: "A", type: "t", status: "active", nodeID: a.store.nodeID)
        _ = try a.store.addWorkflow(
            id: "greet",
            name: "Greet",
            definition: try JSONValue(
                parsing: #"{"steps": [{"id": "hi", "type": "command", "argv": ["/bin/echo", "hi"]}]}"#
            ),
            status: "active",
            agentID: "agent"
        )
        let runner = WorkflowRunner(store: a.store, files: a.files, runsDirectory: a.home + "/runs")
        let execution = try await runner.run(workflowID: "greet", input: ["n": 1])
        #expect(execution.status == "completed")
        try await a.sync()
        try await b.sync()
        let copy = try b.store.requireExecution(id: execution.id)
        #expect(copy.status == "completed")
        #expect(copy.nodeID == a.store.nodeID)
        #expect(copy.stepResults == execution.stepResults)
        #expect(copy.outputData?["stdout"] == "hi\n")
        #expect(try b.store.requireAgent(id: "agent").lastActive == execution.completedAt)
        #expect(try b.store.requireWorkflow(id: "greet").executionCount == 1, "B counts the runs it holds")
        #expect(try b.syncedContents() == a.syncedContents())
    }

    @Test("a failed run reaches the hub before a backlog of background rows", arguments: SyncBackend.allCases)
    func failedRunFirst(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 1)
        let a = cluster.nodes[0]
        _ = try a.store.addWorkflow(
            id: "check",
            name: "Check",
            definition: try JSONValue(parsing: #"{"steps": [{"id": "no", "type": "command", "argv": ["/bin/false"]}]}"#)
        )
        try await a.sync()
        try a.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL)")
        // Priority 9, above an ordinary run's 5: only the failed run's critical 10 puts it first.
        try a.store.track("readings", priority: 9)
        for index in 0..<300 { try a.execute("INSERT INTO readings (id, value) VALUES (?, 1.5)", [index]) }
        let runner = WorkflowRunner(store: a.store, files: a.files, runsDirectory: a.home + "/runs")
        let failed = try await runner.run(workflowID: "check")
        #expect(failed.status == "failed")
        let cursor = try await a.engine.client.pull(after: 0, limit: 5000).value.rows.count
        // Five changes per batch: the failed run is in the first one, ahead of 300 older rows.
        a.configuration.initialBatchSize = 5
        try a.reconnect()
        try await a.sync()
        let rows = try await a.engine.client.pull(after: 0, limit: 5000).value.rows.dropFirst(cursor)
        #expect(rows.prefix(5).contains { $0.table == "executions" && $0.key == failed.id })
        #expect(rows.count == 301)
    }

    /// Makes a run look as if it ended 40 days ago, behind capture's back.
    static func backdate(_ id: String, in store: Store) async throws {
        try await store.write { db in
            try db.execute(sql: "INSERT INTO outpost_applying (id) VALUES (1)")
            try db.execute(
                sql: "UPDATE executions SET completed_at = datetime('now', '-40 days') WHERE id = ?",
                arguments: [id]
            )
            try db.execute(sql: "DELETE FROM outpost_applying")
        }
    }

    @Test(
        "retention removes old runs from the node only: the hub and other nodes keep them, counts stay, verify explains",
        arguments: SyncBackend.allCases
    )
    func retentionKeepsTheHubsCopy(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        _ = try a.store.addWorkflow(
            id: "tick",
            name: "Tick",
            definition: try JSONValue(parsing: #"{"steps": [{"id": "t", "type": "command", "argv": ["/bin/true"]}]}"#)
        )
        let runner = WorkflowRunner(store: a.store, files: a.files, runsDirectory: a.home + "/runs")
        let old = try await runner.run(workflowID: "tick")
        let recent = try await runner.run(workflowID: "tick")
        try await a.sync()
        // The first run ended 40 days ago (changed behind capture, as if it had).
        try await Self.backdate(old.id, in: a.store)
        let unsent = try await runner.run(workflowID: "tick")
        try await Self.backdate(unsent.id, in: a.store)
        let report = try await a.store.runMaintenance()
        #expect(report.prunedExecutions == 1, "the unsent run stays until the hub has it")
        #expect(try a.store.executions().map(\.id).sorted() == [recent.id, unsent.id].sorted())
        #expect(try a.store.requireWorkflow(id: "tick").executionCount == 3, "a pruned run still counts")
        #expect(
            try a.store.queueEntries(status: .pending).allSatisfy { $0.operation != .delete },
            "no delete is queued"
        )
        try await a.sync()
        try await b.sync()
        #expect(try b.store.executions().count == 3, "the hub and B keep every run")
        let verify = try await a.engine.verify(tables: ["executions"])
        #expect(verify.unexplained == 0)
        #expect(verify.tables.flatMap(\.differences).map(\.reason) == [.pruned])
    }
}

/// The cache budget with a real hub: evicted content comes back when asked for; skipped files
/// wait on the hub.
@Suite("File cache with a hub")
struct FileCacheSyncTests {
    @Test(
        "evicted under a budget, then fetched again on demand (files get, the engine); skipped files wait until asked"
    )
    func evictAndFetchAgain() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        var random = SplitMix64(seed: 42)
        let model = random.bytes(200_000)
        try a.files.put(model, as: "models/vision.onnx")
        try a.files.put(random.bytes(50_000), as: "reports/today.csv")
        try await a.sync()
        try await b.sync()
        #expect(try b.files.contents(of: "models/vision.onnx") == model)

        try b.files.setCachePolicy(FileCachePolicy(budgetBytes: 10_000))
        let eviction = try b.files.enforceBudget()
        #expect(Set(eviction.files) == ["models/vision.onnx", "reports/today.csv"])
        #expect(try b.files.file(named: "models/vision.onnx")?.content == "remote")
        try await b.sync()
        #expect(try b.files.file(named: "models/vision.onnx")?.content == "remote", "a sync does not undo the eviction")

        #expect(try await b.engine.fetchFile(named: "models/vision.onnx"))
        #expect(try b.files.contents(of: "models/vision.onnx") == model)
        #expect(try b.files.file(named: "reports/today.csv")?.content == "remote", "only what was asked for came")
        let target = b.home + "/today.csv"
        let get = try await runProgram(
            OutpostExecutable.path,
            ["files", "get", "reports/today.csv", "-o", target, "--home", b.home]
        )
        #expect(get.status == 0, "\(get)")
        #expect(FileManager.default.contents(atPath: target)?.count == 50_000, "`files get` fetched it first")

        // A workflow's file step fetches evicted content before it reads it.
        _ = try b.files.enforceBudget()
        #expect(try b.files.file(named: "models/vision.onnx")?.content == "remote")
        _ = try b.store.addWorkflow(
            id: "load",
            name: "Load the model",
            definition: try JSONValue(
                parsing:
                    #"{"steps": [{"id": "get", "type": "file", "action": "get", "name": "models/vision.onnx", "path": "\#(b.home)/model.bin"}]}"#
            )
        )
        let engine = b.engine
        let runner = WorkflowRunner(
            store: b.store,
            files: b.files,
            runsDirectory: b.home + "/runs",
            fetchFile: { name in _ = try await engine.fetchFile(named: name) }
        )
        let load = try await runner.run(workflowID: "load")
        #expect(load.status == "completed", "\(load)")
        #expect(FileManager.default.contents(atPath: b.home + "/model.bin").map { Array($0) } == model)

        try b.files.setCachePolicy(FileCachePolicy(skipPatterns: ["videos/**"]))
        try a.files.put(Array(repeating: 1, count: 30_000), as: "videos/line-3/cam.mp4")
        try await a.sync()
        try await b.sync()
        #expect(
            try b.files.file(named: "videos/line-3/cam.mp4")?.content == "remote",
            "skipped: its row came, not its content"
        )
        #expect(try await b.engine.fetchFile(named: "videos/line-3/cam.mp4"))
        #expect(try b.files.contents(of: "videos/line-3/cam.mp4").count == 30_000)
    }
}
