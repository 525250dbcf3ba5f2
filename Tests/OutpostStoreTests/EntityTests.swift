import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

@Suite("Agents, workflows, executions")
struct EntityTests {
    @Test("an update bumps the version; a stale expected version records a conflict and changes nothing else")
    func optimisticVersions() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t", config: ["fps": 5])
        let updated = try fixture.store.updateAgent(id: "a1", AgentChanges(status: "active"), expectedVersion: 1)
        #expect(updated.version == 2 && updated.status == "active")
        let agentBefore = try fixture.store.requireAgent(id: "a1")
        #expect {
            try fixture.store.updateAgent(id: "a1", AgentChanges(name: "stale"), expectedVersion: 1)
        } throws: { error in
            guard let error = error as? OutpostError else { return false }
            return error.code == .versionConflict && error.details["current_version"] == "2"
        }
        #expect(try fixture.store.requireAgent(id: "a1") == agentBefore)
        let conflict = try fixture.store.read { db in
            JSONValue(try Row.fetchOne(db, sql: "SELECT * FROM conflict_resolution")!)
        }
        #expect(conflict["table_name"] == "agents" && conflict["record_id"] == "a1")
        #expect(conflict["local_version"] == 1 && conflict["remote_version"] == 2)
        #expect(conflict["status"] == "pending")
        #expect(conflict["local_data"]?.stringValue?.contains("stale") == true)
        let summary = try fixture.store.read { db in
            try Int.fetchOne(db, sql: "SELECT conflict_count FROM conflict_summary")
        }
        #expect(summary == 1)
    }

    @Test("workflows belong to existing agents; executions to existing workflows")
    func relations() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        let workflow = try fixture.store.addWorkflow(name: "W", definition: ["steps": []], agentID: "a1")
        #expect(UUIDv7.isWellFormed(workflow.id))
        #expect(throws: OutpostError.self) { try fixture.store.addWorkflow(name: "X", agentID: "nobody") }
        try fixture.store.recordExecution(Execution(id: "e1", workflowID: workflow.id, status: "completed"))
        #expect(try fixture.store.executions(workflowID: workflow.id).map(\.id) == ["e1"])
        #expect(throws: OutpostError.self) {
            try fixture.store.recordExecution(Execution(id: "e2", workflowID: "none"))
        }
        #expect {
            try fixture.store.removeAgent(id: "a1")
        } throws: { error in (error as? OutpostError)?.code == .failedPrecondition }
        #expect(try fixture.store.workflows(agentID: "a1").count == 1)
    }

    @Test("lists filter by owner and status, each or both")
    func listFilters() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        let first = try fixture.store.addWorkflow(id: "w1", name: "W1", agentID: "a1")
        _ = try fixture.store.addWorkflow(id: "w2", name: "W2", status: "paused", agentID: "a1")
        _ = try fixture.store.addWorkflow(id: "w3", name: "W3", status: "paused")
        #expect(Set(try fixture.store.workflows(status: "paused").map(\.id)) == ["w2", "w3"])
        #expect(try fixture.store.workflows(agentID: "a1", status: "paused").map(\.id) == ["w2"])
        #expect(try fixture.store.workflows().count == 3)
        try fixture.store.recordExecution(Execution(id: "e1", workflowID: first.id, status: "completed"))
        try fixture.store.recordExecution(Execution(id: "e2", workflowID: first.id, status: "failed"))
        try fixture.store.recordExecution(Execution(id: "e3", workflowID: "w2", status: "failed"))
        #expect(Set(try fixture.store.executions(status: "failed").map(\.id)) == ["e2", "e3"])
        #expect(try fixture.store.executions(workflowID: first.id, status: "failed").map(\.id) == ["e2"])
    }

    @Test(
        "bad input is refused with a clear error and nothing is written",
        arguments: [
            "duplicate id", "empty name", "control character", "unknown agent update", "empty update",
            "unknown sort column", "bad SQL", "failing second statement",
        ]
    )
    func badInput(case name: String) throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        let before = try fixture.snapshot()
        #expect(throws: OutpostError.self) {
            switch name {
            case "duplicate id": _ = try fixture.store.addAgent(id: "a1", name: "B", type: "t")
            case "empty name": _ = try fixture.store.addAgent(name: "  ", type: "t")
            case "control character": _ = try fixture.store.addAgent(name: "a\u{07}b", type: "t")
            case "unknown agent update": try fixture.store.updateAgent(id: "zz", AgentChanges(name: "x"))
            case "empty update": try fixture.store.updateAgent(id: "a1", AgentChanges())
            case "unknown sort column": _ = try fixture.store.agents(sortedBy: "name; DROP TABLE agents")
            case "bad SQL": _ = try fixture.store.execute(sql: "SELEC 1")
            default:
                _ = try fixture.store.execute(
                    sql:
                        "INSERT INTO agents (id, name, type) VALUES ('a9', 'N', 't'); INSERT INTO agents (id) VALUES ('x')"
                )
            }
        }
        #expect(try fixture.snapshot() == before)
    }

    @Test("agents sort by a schema column when asked")
    func sortsByColumn() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "b", name: "Zed", type: "t")
        _ = try fixture.store.addAgent(id: "a", name: "Amy", type: "t")
        #expect(try fixture.store.agents(sortedBy: "NAME").map(\.id) == ["a", "b"])
        #expect(try fixture.store.agents(status: "inactive").count == 2)
    }
}
