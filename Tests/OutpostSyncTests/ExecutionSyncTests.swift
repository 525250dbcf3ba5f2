import Foundation
import GRDB
import OutpostCore
import OutpostProtocol
import OutpostRunner
import OutpostStore
import OutpostSync
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
        try await a.store.write { db in
            try db.execute(sql: "INSERT INTO outpost_applying (id) VALUES (1)")
            try db.execute(
                sql: "UPDATE executions SET completed_at = datetime('now', '-40 days') WHERE id = ?",
                arguments: [old.id]
            )
            try db.execute(sql: "DELETE FROM outpost_applying")
        }
        let unsent = try await runner.run(workflowID: "tick")
        try await a.store.write { db in
            try db.execute(sql: "INSERT INTO outpost_applying (id) VALUES (1)")
            try db.execute(
                sql: "UPDATE executions SET completed_at = datetime('now', '-40 days') WHERE id = ?",
                arguments: [unsent.id]
            )
            try db.execute(sql: "DELETE FROM outpost_applying")
        }
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
