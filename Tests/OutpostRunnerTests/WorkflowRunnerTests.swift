import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostTesting
import Testing

@Suite("The runner: every run is an executions row, written as it goes")
struct WorkflowRunnerTests {
    @Test("the minimal definition runs: completed, its output kept, the workflow's count kept")
    func minimal() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            #"{"steps": [{"id": "greet", "type": "command", "argv": ["/bin/echo", "hello"], "timeout": "10s"}]}"#
        )
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "completed", "\(execution)")
        #expect(execution.outputData?["stdout"] == "hello\n")
        #expect(execution.nodeID == fixture.store.nodeID)
        #expect(execution.startedAt != nil && execution.completedAt != nil && execution.durationMilliseconds != nil)
        let greet = try #require(RunnerFixture.steps(execution)["greet"])
        #expect(greet["status"] == "completed" && greet["attempts"] == 1)
        var stored = try fixture.store.requireExecution(id: execution.id)
        stored.syncStatus = nil
        #expect(stored == execution, "the row says what the run returned")
        let workflow = try fixture.store.requireWorkflow(id: "wf")
        #expect(workflow.executionCount == 1)
        #expect(workflow.lastExecution == execution.startedAt)
        _ = try await fixture.runner.run(workflowID: "wf")
        #expect(try fixture.store.requireWorkflow(id: "wf").executionCount == 2)
    }

    @Test("values pass between steps by reference, from the input and earlier outputs")
    func references() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            """
            {"steps": [
              {"id": "first", "type": "command", "argv": ["/bin/echo", "-n", "${input.name}"]},
              {"id": "second", "type": "command", "argv": ["/bin/echo", "-n", "[${steps.first.output.stdout}]"]}
             ],
             "output": {"greeting": "${steps.second.output.stdout}", "who": "${input.name}"}}
            """
        )
        let execution = try await fixture.runner.run(workflowID: "wf", input: ["name": "Ada; rm -rf /"])
        #expect(execution.status == "completed")
        #expect(execution.outputData == ["greeting": "[Ada; rm -rf /]", "who": "Ada; rm -rf /"], "argv, never a shell")
    }

    @Test("a failing step is tried again with growing waits, then the run fails with its reason")
    func retries() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            #"{"steps": [{"id": "flaky", "type": "command", "argv": ["/bin/sh", "-c", "echo broken >&2; exit 3"], "retries": {"attempts": 3, "backoff": "1s", "max_backoff": "3s"}}]}"#
        )
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "failed")
        #expect(execution.errorMessage?.contains("exited with status 3: broken") == true, "\(execution)")
        let flaky = try #require(RunnerFixture.steps(execution)["flaky"])
        #expect(flaky["attempts"] == 4)
        #expect(flaky["output"]?["stderr"] == "broken\n")
        #expect(fixture.waits.waits == [.seconds(1), .seconds(2), .seconds(3)])
    }

    @Test("a try that succeeds after failures stops the retries")
    func retrySucceeds() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        let marker = fixture.folder.appending("marker")
        try fixture.workflow(
            """
            {"steps": [{"id": "second-time-lucky", "type": "command", "retries": 5,
              "argv": ["/bin/sh", "-c", "if [ -e \(marker) ]; then echo ok; else touch \(marker); exit 1; fi"]}]}
            """
        )
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "completed")
        #expect(RunnerFixture.steps(execution)["second-time-lucky"]?["attempts"] == 2)
        #expect(fixture.waits.waits == [.seconds(1)])
    }

    @Test("on_failure: continue goes on; a compensating step runs and the run still fails")
    func failurePolicies() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            """
            {"steps": [
              {"id": "optional", "type": "command", "argv": ["/bin/false"], "on_failure": "continue"},
              {"id": "main", "type": "command", "argv": ["/bin/false"], "on_failure": {"run": "undo"}},
              {"id": "never", "type": "command", "argv": ["/bin/true"]}
             ],
             "compensations": [{"id": "undo", "type": "command", "argv": ["/bin/echo", "undone"]}]}
            """
        )
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "failed")
        let steps = RunnerFixture.steps(execution)
        #expect(steps["optional"]?["status"] == "failed")
        #expect(steps["main"]?["status"] == "failed")
        #expect(steps["undo"]?["output"]?["stdout"] == "undone\n")
        #expect(steps["never"] == nil, "a failed step stops the run")
        #expect(execution.errorMessage?.hasPrefix("Step main failed") == true)
    }

    @Test("a timeout kills the command's whole process group")
    func timeoutKillsTheGroup() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        let pidFile = fixture.folder.appending("child.pid")
        try fixture.workflow(
            """
            {"steps": [{"id": "hang", "type": "command", "timeout": "1s",
              "argv": ["/bin/sh", "-c", "sleep 600 & echo $! > \(pidFile); wait"]}]}
            """
        )
        let started = ContinuousClock.now
        let execution = try await fixture.runner.run(workflowID: "wf")
        // Far below the sleep's 600 s; generous, as a loaded machine may be slow to resume the test.
        #expect(ContinuousClock.now - started < .seconds(300), "the run did not wait for the sleep")
        #expect(execution.status == "failed")
        #expect(execution.errorMessage?.contains("did not finish within") == true, "\(execution)")
        let pid = try #require(
            Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        )
        try await eventually("the grandchild sleep was killed too", timeout: .seconds(30)) { kill(pid, 0) != 0 }
    }

    @Test("output beyond max_output is cut, and the run says so")
    func outputLimit() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            #"{"steps": [{"id": "chatty", "type": "command", "max_output": 1000, "argv": ["/bin/sh", "-c", "head -c 500000 /dev/zero | tr '\\0' x"]}]}"#
        )
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "completed")
        #expect(execution.outputData?["stdout"]?.stringValue?.count == 1000)
        #expect(execution.outputData?["truncated"] == true)
    }

    @Test("sql steps bind parameters from earlier steps, and their writes are captured for sync")
    func sqlSteps() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE readings (id TEXT PRIMARY KEY, site TEXT, value REAL)")
        try fixture.store.track("readings")
        try fixture.workflow(
            """
            {"steps": [
              {"id": "measure", "type": "command", "argv": ["/bin/echo", "-n", "21.5"]},
              {"id": "save", "type": "sql", "sql": "INSERT INTO readings (id, site, value) VALUES (:id, :site, CAST(:value AS REAL))",
               "params": {"id": "${execution.id}", "site": "${input.site}", "value": "${steps.measure.output.stdout}"}},
              {"id": "check", "type": "sql", "sql": "SELECT site, value FROM readings WHERE site = ?", "params": ["${input.site}"]}
             ],
             "output": "${steps.check.output.rows}"}
            """
        )
        let execution = try await fixture.runner.run(
            workflowID: "wf",
            input: ["site": "O'Brien's; DROP TABLE readings"]
        )
        #expect(execution.status == "completed", "\(execution)")
        #expect(execution.outputData == [["site": "O'Brien's; DROP TABLE readings", "value": 21.5]])
        let queued = try fixture.store.queueEntries(status: .pending).filter { $0.table == "readings" }
        #expect(queued.map(\.key) == [execution.id], "the step's insert waits to be pushed")
    }

    @Test("a failed run is queued at critical priority, a completed one at the table's")
    func failedRunsGoFirst() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(#"{"steps": [{"id": "ok", "type": "command", "argv": ["/bin/true"]}]}"#, id: "good")
        try fixture.workflow(#"{"steps": [{"id": "no", "type": "command", "argv": ["/bin/false"]}]}"#, id: "bad")
        let good = try await fixture.runner.run(workflowID: "good")
        let bad = try await fixture.runner.run(workflowID: "bad")
        let entries = try fixture.store.queueEntries(status: .pending).filter { $0.table == "executions" }
        #expect(entries.first { $0.key == bad.id }?.priority == 10)
        #expect(entries.first { $0.key == good.id }?.priority == 5)
    }

    @Test("file steps put content into the node's files and get it back")
    func fileSteps() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        let target = fixture.folder.appending("copy.txt")
        try fixture.workflow(
            """
            {"steps": [
              {"id": "put", "type": "file", "action": "put", "name": "reports/today.txt", "content": "site ${input.site}"},
              {"id": "read", "type": "file", "action": "get", "name": "reports/today.txt"},
              {"id": "copy", "type": "file", "action": "get", "name": "reports/today.txt", "path": "\(target)"}
             ]}
            """
        )
        let execution = try await fixture.runner.run(workflowID: "wf", input: ["site": "berlin"])
        #expect(execution.status == "completed", "\(execution)")
        #expect(RunnerFixture.steps(execution)["read"]?["output"]?["content"] == "site berlin")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "site berlin")
        #expect(try fixture.files.file(named: "reports/today.txt")?.size == 11)
    }

    @Test("a workflow step runs another workflow as an execution of its own; endless nesting stops")
    func nestedWorkflows() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            #"{"steps": [{"id": "say", "type": "command", "argv": ["/bin/echo", "-n", "${input.word}"]}]}"#,
            id: "inner"
        )
        try fixture.workflow(
            #"{"steps": [{"id": "call", "type": "workflow", "workflow": "inner", "input": {"word": "${input.word}"}}]}"#,
            id: "outer"
        )
        let execution = try await fixture.runner.run(workflowID: "outer", input: ["word": "nested"])
        #expect(execution.status == "completed", "\(execution)")
        #expect(execution.outputData?["stdout"] == "nested")
        #expect(try fixture.store.executions(workflowID: "inner").map(\.status) == ["completed"])

        try fixture.workflow(#"{"steps": [{"id": "again", "type": "workflow", "workflow": "loop"}]}"#, id: "loop")
        let loop = try await fixture.runner.run(workflowID: "loop")
        #expect(loop.status == "failed")
        #expect(loop.errorMessage?.contains("nest more than") == true, "\(loop)")
    }

    @Test("a definition that is not valid fails its run with the reason, and nothing runs")
    func invalidDefinitionFailsTheRun() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(#"{"steps": [{"id": "x", "type": "teleport"}]}"#)
        let execution = try await fixture.runner.run(workflowID: "wf")
        #expect(execution.status == "failed")
        #expect(execution.errorMessage?.contains("steps[0].type") == true)
    }

    @Test("a run still marked running whose process is gone becomes interrupted; a repeatable one runs again")
    func recovery() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(#"{"steps": [{"id": "once", "type": "command", "argv": ["/bin/true"]}]}"#, id: "once")
        try fixture.workflow(
            #"{"steps": [{"id": "again", "type": "command", "argv": ["/bin/true"], "repeatable": true}]}"#,
            id: "again"
        )
        var stuck: [String: Execution] = [:]
        for workflow in ["once", "again"] {
            var execution = try await fixture.runner.enqueue(workflowID: workflow, input: ["n": 1])
            execution.status = "running"
            try fixture.store.updateExecution(execution)
            stuck[workflow] = execution
        }
        let recovery = try await fixture.runner.recoverInterrupted()
        #expect(Set(recovery.interrupted.map(\.id)) == Set(stuck.values.map(\.id)))
        #expect(try fixture.store.requireExecution(id: stuck["once"]!.id).status == "interrupted")
        #expect(recovery.retries.map(\.workflowID) == ["again"], "only the repeatable run is retried")
        #expect(recovery.retries.first?.inputData == ["n": 1])
        let retried = try await fixture.runner.run(executionID: recovery.retries[0].id)
        #expect(retried.status == "completed")
        #expect(try await fixture.runner.recoverInterrupted() == .init(), "nothing is found twice")
        let priorities = try fixture.store.queueEntries(status: .pending).filter { $0.key == stuck["once"]!.id }
        #expect(priorities.map(\.priority) == [10], "an interrupted run goes at critical priority")
    }

    @Test(
        "a run whose process died before its row was written is found from its lock file: interrupted, retried if repeatable"
    )
    func recoveryFromTheLockFile() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        try fixture.workflow(
            #"{"steps": [{"id": "again", "type": "command", "argv": ["/bin/true"], "repeatable": true}]}"#,
            id: "again"
        )
        // What a run writes into its lock file as it starts, left behind by a process that died
        // at once: no row, and no process holds the lock.
        let runs = fixture.folder.appending("runs")
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true)
        let id = "01a24c30-0000-7000-8000-000000000001"
        try
            #"{"id": "\#(id)", "workflow_id": "again", "input": {"n": 2}, "started_at": "2026-12-06 16:00:00.000", "node_id": "\#(fixture.store.nodeID)"}"#
            .write(toFile: "\(runs)/\(id).lock", atomically: true, encoding: .utf8)
        // A file a run in another process may have just made, not yet written: left alone.
        FileManager.default.createFile(atPath: "\(runs)/starting.lock", contents: Data())

        let recovery = try await fixture.runner.recoverInterrupted()
        #expect(recovery.interrupted.map(\.id) == [id])
        let found = try fixture.store.requireExecution(id: id)
        #expect(
            found.status == "interrupted" && found.inputData == ["n": 2] && found.startedAt == "2026-12-06 16:00:00.000"
        )
        #expect(found.errorMessage?.contains("at step again") == true, "\(found)")
        #expect(recovery.retries.map(\.inputData) == [["n": 2]], "a repeatable run runs again with its input")
        #expect(!FileManager.default.fileExists(atPath: "\(runs)/\(id).lock"), "the record is used once")
        #expect(FileManager.default.fileExists(atPath: "\(runs)/starting.lock"))
        #expect(try await fixture.runner.recoverInterrupted() == .init(), "nothing is found twice")
    }

    @Test("a one-step run's row says running while it runs and its end afterwards; the lock file goes")
    func startWrittenBesideTheStep() async throws {
        let fixture = try RunnerFixture()
        defer { fixture.folder.remove() }
        let marker = fixture.folder.appending("started")
        let release = fixture.folder.appending("release")
        // The step runs until the test lets it end, however slowly the test gets to look.
        try fixture.workflow(
            #"{"steps": [{"id": "wait", "type": "command", "timeout": "120s", "argv": ["/bin/sh", "-c", "touch \#(marker); while [ ! -e \#(release) ]; do sleep 0.05; done"]}]}"#
        )
        let runner = fixture.runner
        let run = Task { try await runner.run(workflowID: "wf") }
        try await eventually("the step started") { FileManager.default.fileExists(atPath: marker) }
        try await eventually("the row says running while the step runs") {
            try fixture.store.executions(workflowID: "wf").map(\.status) == ["running"]
        }
        FileManager.default.createFile(atPath: release, contents: Data())
        let ended = try await run.value
        #expect(ended.status == "completed")
        #expect(try fixture.store.executions(workflowID: "wf").map(\.status) == ["completed"])
        let left = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.appending("runs"))
        #expect(left.isEmpty, "\(left)")
    }
}
