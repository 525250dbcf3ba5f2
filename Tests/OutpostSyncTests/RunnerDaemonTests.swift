import Foundation
import OutpostCore
import OutpostStore
import OutpostSystem
import OutpostTesting
import Testing

/// Workflows under `outpost run`, as a user runs it: a schedule fires, SIGKILL interrupts a run,
/// and the next start finds it.
@Suite("Runner: outpost run")
struct RunnerDaemonTests {
    @Test("a scheduled run killed mid-step with the daemon is interrupted, and retried at the next start")
    func killedDaemonRun() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 1, hub: .process)
        let a = cluster.nodes[0]
        let marker = a.home + "/ran-once"
        _ = try a.store.addAgent(id: "line", name: "Line", type: "monitor", status: "active", nodeID: a.store.nodeID)
        _ = try a.store.addWorkflow(
            id: "slow",
            name: "Slow",
            definition: try JSONValue(
                parsing: """
                    {"schedule": {"every": "1s"},
                     "steps": [{"id": "work", "type": "command", "repeatable": true, "timeout": "30s",
                       "argv": ["/bin/sh", "-c", "if [ -e \(marker) ]; then echo again; else echo $$ > \(marker); sleep 60; fi"]}]}
                    """
            ),
            status: "active",
            agentID: "line"
        )
        let first = try ChildProcess(OutpostExecutable.path, ["run", "--home", a.home]).start()
        try await eventually("the schedule fired and the step started", timeout: .seconds(20)) {
            ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").hasSuffix("\n")
        }
        try await eventually("the run's row says running") {
            try a.store.executions(workflowID: "slow").map(\.status) == ["running"]
        }
        kill(first.processIdentifier, SIGKILL)
        first.wait()
        // The step's process group outlives the killed daemon; end it (the pid is the group's).
        if let group = Int32(
            try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        ) {
            kill(-group, SIGKILL)
        }
        #expect(try a.store.executions(workflowID: "slow").map(\.status) == ["running"])

        let second = try ChildProcess(OutpostExecutable.path, ["run", "--home", a.home]).start()
        defer { second.kill() }
        try await eventually("the next start found the run and retried it", timeout: .seconds(20)) {
            let statuses = try a.store.executions(workflowID: "slow").map(\.status)
            return statuses.contains("interrupted") && statuses.contains("completed")
        }
        let interrupted = try #require(try a.store.executions(workflowID: "slow", status: "interrupted").first)
        #expect(interrupted.errorMessage?.contains("at step work") == true, "\(interrupted)")
        #expect(interrupted.outputData?["retried_as"] != nil)
    }
}
