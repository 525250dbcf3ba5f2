import Foundation
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostTesting
import Testing

@Suite("The service: schedules, insert triggers, agents that run on their node")
struct WorkflowServiceTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// An active agent on this node with one active workflow.
    func fixture(definition: String, agentConfig: JSONValue? = nil) throws -> (RunnerFixture, WorkflowService) {
        let fixture = try RunnerFixture()
        _ = try fixture.store.addAgent(
            id: "agent",
            name: "A",
            type: "t",
            status: "active",
            config: agentConfig,
            nodeID: fixture.store.nodeID
        )
        _ = try fixture.store.addWorkflow(
            id: "wf",
            name: "W",
            definition: try JSONValue(parsing: definition),
            status: "active",
            agentID: "agent"
        )
        return (fixture, WorkflowService(runner: fixture.runner))
    }

    @Test("a schedule fires one interval after the service starts, then every interval")
    func everyInterval() async throws {
        let (fixture, service) = try fixture(
            definition:
                #"{"schedule": {"every": "10s"}, "steps": [{"id": "s", "type": "command", "argv": ["/bin/true"]}]}"#
        )
        defer { fixture.folder.remove() }
        #expect(try await service.tick(now: start).isEmpty, "not at once")
        #expect(try await service.tick(now: start + 9).isEmpty)
        let first = try await service.tick(now: start + 10)
        #expect(first.map(\.execution.workflowID) == ["wf"])
        for run in first { await service.runPlanned(run) }
        #expect(try fixture.store.executions(workflowID: "wf").map(\.status) == ["completed"])
        #expect(try await service.tick(now: start + 15).isEmpty)
        #expect(try await service.tick(now: start + 20).count == 1)
    }

    @Test("only an active agent on this node runs, and only its active workflows")
    func whereAgentsRun() async throws {
        let (fixture, service) = try fixture(
            definition:
                #"{"schedule": {"every": "1s"}, "steps": [{"id": "s", "type": "command", "argv": ["/bin/true"]}]}"#
        )
        defer { fixture.folder.remove() }
        _ = try await service.tick(now: start)
        try fixture.store.updateAgent(id: "agent", AgentChanges(nodeID: "some-other-node"))
        #expect(try await service.tick(now: start + 5).isEmpty, "another node's agent")
        try fixture.store.updateAgent(id: "agent", AgentChanges(nodeID: fixture.store.nodeID))
        try fixture.store.updateAgent(id: "agent", AgentChanges(status: "paused"))
        #expect(try await service.tick(now: start + 6).isEmpty, "a paused agent")
        try fixture.store.updateAgent(id: "agent", AgentChanges(status: "active"))
        try fixture.store.updateWorkflow(id: "wf", WorkflowChanges(status: "draft"))
        #expect(try await service.tick(now: start + 7).isEmpty, "a draft workflow")
        try fixture.store.updateWorkflow(id: "wf", WorkflowChanges(status: "active"))
        _ = try await service.tick(now: start + 8)
        #expect(try await service.tick(now: start + 9).count == 1)
    }

    @Test("a firing while the agent is at its limit is skipped, not queued")
    func concurrencyLimit() async throws {
        let (fixture, service) = try fixture(
            definition:
                #"{"schedule": {"every": "1s"}, "steps": [{"id": "s", "type": "command", "argv": ["/bin/true"]}]}"#
        )
        defer { fixture.folder.remove() }
        _ = try await service.tick(now: start)
        let first = try await service.tick(now: start + 1)
        #expect(first.count == 1)
        #expect(try await service.tick(now: start + 2).isEmpty, "the first run still holds the agent's one place")
        for run in first { await service.runPlanned(run) }
        #expect(try await service.tick(now: start + 3).count == 1, "its place is free again")
    }

    @Test("each inserted row that passes the test starts a run with the row as input; old rows do not")
    func insertTrigger() async throws {
        let (fixture, service) = try fixture(
            definition: """
                {"on_insert": {"table": "readings", "when": {"column": "value", "above": 30}},
                 "steps": [{"id": "alert", "type": "command", "argv": ["/bin/echo", "-n", "${input.row.site}:${input.row.value}"]}]}
                """,
            agentConfig: ["max_concurrent_runs": 5]
        )
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE readings (id TEXT PRIMARY KEY, site TEXT, value REAL)")
        _ = try fixture.store.execute(sql: "INSERT INTO readings VALUES ('old', 'x', 99)")
        #expect(try await service.tick(now: start).isEmpty, "rows there before the trigger do not fire")
        _ = try fixture.store.execute(
            sql: "INSERT INTO readings VALUES ('r1', 'berlin', 12), ('r2', 'berlin', 41.5), ('r3', 'oslo', 30)"
        )
        let planned = try await service.tick(now: start + 1)
        #expect(planned.map { $0.execution.inputData?["row"]?["id"] } == ["r2"])
        for run in planned { await service.runPlanned(run) }
        #expect(try fixture.store.executions(workflowID: "wf").first?.outputData?["stdout"] == "berlin:41.5")
        #expect(try await service.tick(now: start + 2).isEmpty, "a row fires once")
    }

    @Test("rows beyond the agent's limit wait for the next pass; none is lost")
    func insertTriggerBacklog() async throws {
        let (fixture, service) = try fixture(
            definition:
                #"{"on_insert": {"table": "jobs"}, "steps": [{"id": "s", "type": "command", "argv": ["/bin/true"]}]}"#
        )
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE jobs (id INTEGER PRIMARY KEY)")
        _ = try await service.tick(now: start)
        _ = try fixture.store.execute(sql: "INSERT INTO jobs (id) VALUES (1), (2), (3)")
        var seen: [JSONValue?] = []
        for second in 1...6 {
            for run in try await service.tick(now: start + Double(second)) {
                seen.append(run.execution.inputData?["row"]?["id"])
                await service.runPlanned(run)
            }
        }
        #expect(seen == [1, 2, 3])
    }

    @Test("an agent whose last three runs failed goes to error with the reason, and stops being scheduled")
    func agentError() async throws {
        let (fixture, service) = try fixture(
            definition:
                #"{"schedule": {"every": "1s"}, "steps": [{"id": "s", "type": "command", "argv": ["/bin/false"]}]}"#
        )
        defer { fixture.folder.remove() }
        _ = try await service.tick(now: start)
        for second in 1...3 {
            for run in try await service.tick(now: start + Double(second)) { await service.runPlanned(run) }
        }
        let agent = try fixture.store.requireAgent(id: "agent")
        #expect(agent.status == "error")
        #expect(agent.statusReason?.contains("The last 3 runs failed") == true, "\(agent)")
        #expect(agent.lastActive != nil)
        #expect(try await service.tick(now: start + 4).isEmpty)
    }

    @Test("cron expressions find the next matching minute, in UTC")
    func cron() throws {
        func next(_ expression: String, after text: String) throws -> String? {
            let formatter = ISO8601DateFormatter()
            let date = try #require(formatter.date(from: text))
            return try CronExpression(parsing: expression).next(after: date).map { formatter.string(from: $0) }
        }
        #expect(try next("*/15 * * * *", after: "2026-12-06T10:07:30Z") == "2026-12-06T10:15:00Z")
        #expect(try next("0 6 * * 1-5", after: "2026-12-05T07:00:00Z") == "2026-12-07T06:00:00Z", "Saturday → Monday")
        #expect(try next("30 2 1 * *", after: "2026-12-06T00:00:00Z") == "2027-01-01T02:30:00Z")
        #expect(try next("0 0 29 2 *", after: "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z")
        #expect(throws: OutpostError.self) { try CronExpression(parsing: "61 * * * *") }
        #expect(throws: OutpostError.self) { try CronExpression(parsing: "* * * *") }
    }
}

extension WorkflowServiceTests {
    @Test("statistics: agents by status, this node's runs by status, the next scheduled runs; metrics record durations")
    func statistics() async throws {
        let (fixture, _) = try fixture(
            definition:
                #"{"schedule": {"cron": "0 * * * *"}, "steps": [{"id": "s", "type": "command", "argv": ["/bin/false"]}]}"#
        )
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "idle", name: "I", type: "t")
        let metrics = RunMetrics()
        let runner = WorkflowRunner(
            store: fixture.store,
            files: fixture.files,
            runsDirectory: fixture.folder.appending("runs"),
            metrics: metrics
        )
        _ = try await runner.run(workflowID: "wf")
        let statistics = try RunnerStatistics.load(store: fixture.store, now: start)
        #expect(statistics.agentsByStatus == ["active": 1, "inactive": 1])
        #expect(statistics.agentsOnThisNode == 1)
        #expect(statistics.runsByStatus == ["failed": 1])
        #expect(statistics.upcoming.map(\.workflowID) == ["wf"])
        #expect(
            statistics.upcoming.first?.at
                == start.addingTimeInterval(3_600 - start.timeIntervalSince1970.truncatingRemainder(dividingBy: 3_600))
        )
        let text = statistics.prometheusText() + metrics.prometheusText()
        #expect(text.contains(#"outpost_node_runs{status="failed"} 1"#), "\(text)")
        #expect(text.contains(#"outpost_node_agents{status="active"} 1"#))
        #expect(text.contains("outpost_node_run_duration_seconds_count 1"), "\(text)")
        #expect(text.contains(#"outpost_node_next_run_timestamp_seconds{workflow="wf"}"#))
    }
}
