import Foundation
import OutpostCore
import OutpostStore
import OutpostSystem
import OutpostTesting
import Testing

/// `outpost workflow run` and `outpost execution …` as a user runs them.
@Suite("Running workflows from the command line")
struct WorkflowRunCommandTests {
    static let minimal =
        #"{"steps": [{"id": "greet", "type": "command", "argv": ["/bin/echo", "hello"], "timeout": "10s"}]}"#

    /// A node holding the minimal definition as workflow `greet`.
    static func nodeWithGreet() async throws -> CLINode {
        let node = try await CLINode()
        let added = try await node.outpost(
            "workflow",
            "add",
            "--id",
            "greet",
            "--name",
            "Greet",
            "--definition",
            minimal
        )
        try #require(added.status == 0, "\(added)")
        return node
    }

    @Test("the issue's minimal definition runs with --wait --json: the finished execution and its steps")
    func minimalRun() async throws {
        let node = try await Self.nodeWithGreet()
        defer { node.folder.remove() }
        let result = try await node.outpost("workflow", "run", "greet", "--wait", "--json")
        #expect(result.status == 0, "\(result)")
        let execution = try JSONValue(parsing: result.stdout)
        #expect(execution["status"] == "completed")
        #expect(execution["output_data"]?["stdout"] == "hello\n")
        guard case .array(let steps)? = execution["step_results"] else {
            Issue.record("no step results: \(execution)")
            return
        }
        #expect(steps.map { $0["id"] } == ["greet"])
        #expect(steps.first?["output"]?["stdout"] == "hello\n")
        let listed = try await node.json("execution", "list")
        guard case .array(let executions) = listed else {
            Issue.record("execution list --json is not an array: \(listed)")
            return
        }
        #expect(executions.map { $0["id"] } == [execution["id"]])
        #expect(try await node.json("workflow", "show", "greet")["execution_count"] == 1)
        let shown = try await node.outpost("execution", "show", try #require(execution["id"]?.stringValue))
        #expect(shown.stdout.contains("greet") && shown.stdout.contains("STEP"), "\(shown)")
    }

    @Test("a run that fails prints the execution and exits 1 with its reason")
    func failedRun() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let definition = #"{"steps": [{"id": "no", "type": "command", "argv": ["/bin/false"]}]}"#
        #expect(
            try await node.outpost("workflow", "add", "--id", "f", "--name", "F", "--definition", definition).status
                == 0
        )
        let result = try await node.outpost("workflow", "run", "f", "--wait", "--json")
        #expect(result.status == 1, "\(result)")
        #expect(try JSONValue(parsing: result.stdout)["status"] == "failed")
        #expect(result.stderr.contains("/bin/false exited with status 1"), "\(result)")
    }

    @Test("a definition that is not valid is refused with its field, and nothing is written")
    func refusedDefinition() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let before = try node.snapshot()
        let bad = #"{"steps": [{"id": "greet", "type": "command", "argv": ["/bin/echo"], "timeout": "soon"}]}"#
        expectOneLineFailure(
            try await node.outpost("workflow", "add", "--name", "Bad", "--definition", bad),
            mentioning: "steps[0].timeout"
        )
        #expect(try node.snapshot() == before)
        #expect(
            try await node.outpost("workflow", "add", "--id", "w", "--name", "W", "--definition", Self.minimal).status
                == 0
        )
        let after = try node.snapshot()
        expectOneLineFailure(
            try await node.outpost(
                "workflow",
                "update",
                "w",
                "--definition",
                #"{"steps": [{"id": "x", "type": "shell"}]}"#
            ),
            mentioning: "unknown step type 'shell'"
        )
        #expect(try node.snapshot() == after)
    }

    @Test("without --wait the run goes on in the background and its id is printed at once")
    func backgroundRun() async throws {
        let node = try await Self.nodeWithGreet()
        defer { node.folder.remove() }
        let queued = try await node.json("workflow", "run", "greet")
        let id = try #require(queued["id"]?.stringValue)
        try await eventually("the background run finished") {
            try await node.json("execution", "show", id)["status"] == "completed"
        }
    }

    @Test("SIGKILL mid-run: the run is found interrupted; a repeatable one runs again, a plain one does not")
    func killedMidRun() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let store = try Store(path: node.storePath)
        for (id, repeatable) in [("plain", false), ("repeatable", true)] {
            let marker = node.folder.appending("\(id).ran")
            let definition = """
                {"steps": [{"id": "work", "type": "command", "repeatable": \(repeatable), "timeout": "120s",
                  "argv": ["/bin/sh", "-c", "if [ -e \(marker) ]; then echo second; else echo $$ > \(marker); sleep 120; fi"]}]}
                """
            #expect(
                try await node.outpost("workflow", "add", "--id", id, "--name", id, "--definition", definition).status
                    == 0
            )
            // Each run is killed once its step has begun; the next command finds the one before.
            let run = try ChildProcess(OutpostExecutable.path, ["workflow", "run", id, "--wait", "--home", node.home])
                .start()
            try await eventually("the \(id) run's step began") {
                ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").hasSuffix("\n")
            }
            // The row's start is written beside the first step: wait for it, so the kill comes
            // after it (a kill before it is recovered from the run's lock file, tested apart).
            try await eventually("the \(id) run's row says running") {
                try store.executions(workflowID: id).map(\.status) == ["running"]
            }
            kill(run.processIdentifier, SIGKILL)
            run.wait()
            // The step's process group outlives the killed runner; end it (the pid is the group's).
            let text = try String(contentsOfFile: marker, encoding: .utf8)
            if let group = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(-group, SIGKILL) }
            #expect(
                try store.executions(workflowID: id).map(\.status) == ["running"],
                "the killed run still says running"
            )
        }

        let recovering = try await node.outpost("workflow", "run", "plain", "--wait")
        #expect(recovering.status == 0, "\(recovering)")
        #expect(recovering.stderr.contains("Found interrupted execution"), "\(recovering)")
        try await eventually("the repeatable run ran again") {
            try store.executions(workflowID: "repeatable").map(\.status).sorted() == ["completed", "interrupted"]
        }
        let plain = try store.executions(workflowID: "plain").map(\.status).sorted()
        #expect(
            plain == ["completed", "interrupted"],
            "the interrupted plain run stays interrupted; only the new run completed"
        )
        let retried = try #require(try store.executions(workflowID: "repeatable").first { $0.status == "completed" })
        #expect(retried.outputData?["stdout"] == "second\n")
    }
}

@Suite("Agents: where they run and whether they run")
struct AgentRunCommandTests {
    @Test("agent add --node this, stop, pause and start set what the runner reads")
    func agentLifecycle() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let nodeID = try #require(try await node.json("status")["node_id"]?.stringValue)
        let added = try await node.json("agent", "add", "--id", "a", "--name", "A", "--type", "t", "--node", "this")
        #expect(added["node_id"] == .string(nodeID))
        let started = try await node.outpost("agent", "start", "a")
        #expect(started.stdout.contains("is active on this node"), "\(started)")
        #expect(try await node.json("agent", "pause", "a")["status"] == "paused")
        #expect(try await node.json("agent", "stop", "a")["status"] == "inactive")
        let moved = try await node.json("agent", "update", "a", "--node", "none")
        #expect(moved["node_id"] == nil, "no node")
        let unassigned = try await node.outpost("agent", "start", "a")
        #expect(unassigned.stdout.contains("runs on no node"), "\(unassigned)")
    }
}
