import Foundation
import OutpostCore
import OutpostTesting
import Testing

@Suite("outpost node commands")
struct NodeCommandTests {
    @Test("init creates a node, and running it again keeps its id")
    func initIsIdempotent() async throws {
        let node = try await CLINode(initialised: false)
        defer { node.folder.remove() }
        let first = try await node.json("init")
        let second = try await node.json("init")
        #expect(first["created"] == true && second["created"] == false)
        #expect(first["node_id"] == second["node_id"])
        #expect(UUIDv7.isWellFormed(first["node_id"]?.stringValue ?? ""))
    }

    @Test("$OUTPOST_HOME chooses the home when --home is absent")
    func environmentHome() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await runProgram(
            OutpostExecutable.path,
            ["init"],
            environment: ["OUTPOST_HOME": folder.appending("env-home")]
        )
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: folder.appending("env-home/store.sqlite")))
    }

    @Test("--home may come before the command, as the help's \"HOME is --home DIR\" suggests")
    func homeBeforeCommand() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let home = folder.appending("node")
        #expect(try await runProgram(OutpostExecutable.path, ["--home", home, "init"]).status == 0)
        let added = try await runProgram(
            OutpostExecutable.path,
            ["--home=\(home)", "agent", "add", "--name", "A", "--type", "t", "--id", "a1"]
        )
        #expect(added.status == 0, "\(added)")
        let listed = try await runProgram(OutpostExecutable.path, ["agent", "list", "--json", "--home", home])
        #expect(listed.stdout.contains("\"a1\""), "the same home: \(listed)")
        let hub = folder.appending("hub")
        #expect(
            try await runProgram(OutpostExecutable.path, ["--home", hub, "hub", "tenant", "add", "acme"]).status == 0
        )
        #expect(
            FileManager.default.fileExists(atPath: hub + "/hub.sqlite"),
            "--home first is the hub's home for hub commands"
        )
    }

    @Test("agents and workflows: add, list, show, update, remove, with JSON for scripts")
    func agentAndWorkflowLifecycle() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let agent = try await node.json(
            "agent",
            "add",
            "--name",
            "Camera",
            "--type",
            "vision",
            "--config",
            #"{"fps": 5}"#
        )
        let id = try #require(agent["id"]?.stringValue)
        #expect(agent["version"] == 1 && agent["config"] == ["fps": 5])

        let definitionFile = node.folder.appending("flow.json")
        try Data(#"{"steps": [{"id": "count", "type": "sql", "sql": "SELECT count(*) FROM agents"}]}"#.utf8).write(
            to: URL(fileURLWithPath: definitionFile)
        )
        let workflow = try await node.json(
            "workflow",
            "add",
            "--name",
            "Count",
            "--agent",
            id,
            "--definition",
            "@" + definitionFile
        )
        #expect(
            workflow["definition"] == ["steps": [["id": "count", "type": "sql", "sql": "SELECT count(*) FROM agents"]]]
        )

        let updated = try await node.json("agent", "update", id, "--status", "active", "--expected-version", "1")
        #expect(updated["version"] == 2 && updated["status"] == "active")
        let list = try await node.json("agent", "list")
        #expect(list == .array([updated]))
        let table = try await node.outpost("agent", "list")
        #expect(table.stdout.contains("Camera") && table.stdout.contains("NAME"))
        let shown = try await node.outpost("agent", "show", id)
        #expect(shown.stdout.contains("\"fps\": 5"))

        let stale = try await node.outpost("agent", "update", id, "--name", "X", "--expected-version", "1")
        expectOneLineFailure(stale, mentioning: "is at version 2, not 1")
        #expect(try await node.json("agent", "show", id)["name"] == "Camera")

        expectOneLineFailure(try await node.outpost("agent", "rm", id), mentioning: "still has workflows")
        #expect(try await node.outpost("workflow", "rm", workflow["id"]!.stringValue!).status == 0)
        #expect(try await node.outpost("agent", "rm", id).status == 0)
        #expect(try await node.json("agent", "list") == .array([]))
    }

    @Test("writes through `outpost sql` and through the sqlite3 program are captured")
    func sqlAndForeignClientsAreCaptured() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        #expect(try await node.outpost("sql", "CREATE TABLE readings (id TEXT PRIMARY KEY, value REAL)").status == 0)
        #expect(try await node.outpost("track", "readings", "--priority", "2").status == 0)
        #expect(
            try await node.outpost("sql", "INSERT INTO readings VALUES ('r1', 20.5)").stdout.contains(
                "1 row(s) changed"
            )
        )
        let sqlite3 = try await runProgram(
            "/usr/bin/sqlite3",
            [
                node.storePath,
                "INSERT INTO readings VALUES ('r2', 21.0); UPDATE readings SET value = 22 WHERE id = 'r1'; DELETE FROM readings WHERE id = 'r2';",
            ]
        )
        #expect(sqlite3.status == 0, "\(sqlite3)")
        let queue = try await node.json(
            "sql",
            "SELECT record_id, operation, priority FROM sync_queue WHERE table_name = 'readings' ORDER BY record_id"
        )
        #expect(
            queue == [
                ["record_id": "r1", "operation": "INSERT", "priority": 2],
                ["record_id": "r2", "operation": "DELETE", "priority": 2],
            ]
        )
        let tracked = try await node.json("track")
        #expect(tracked.encoded().contains("\"readings\""))
    }

    @Test("status and maintenance report what they see and do")
    func statusAndMaintenance() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        _ = try await node.outpost("agent", "add", "--name", "A", "--type", "t", "--status", "critical")
        let status = try await node.json("status")
        #expect(status["total_agents"] == 1)
        #expect(status["sync_queue"] == ["pending": 1])
        #expect(status["pending_by_priority"] == ["10": 1])
        let human = try await node.outpost("status")
        #expect(human.stdout.contains("pending by priority: p10 1"))
        let maintenance = try await node.outpost("maintenance")
        #expect(maintenance.status == 0)
        #expect(maintenance.stdout.contains("deleted 0 completed queue entries"))
        #expect(try await node.json("maintenance")["analyzed"] == true)
    }

    @Test(
        "every command explains itself with an example",
        arguments: [
            ["init"], ["status"], ["agent", "add"], ["agent", "list"], ["agent", "update"], ["agent", "rm"],
            ["workflow", "add"], ["workflow", "list"], ["execution", "list"], ["execution", "show"], ["track"],
            ["untrack"], ["sql"], ["maintenance"], ["bench", "capture"],
        ]
    )
    func helpHasExamples(command: [String]) async throws {
        let result = try await runProgram(OutpostExecutable.path, command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"), "\(command) --help has no example")
    }

    @Test("bench capture prints both rates and the ratios")
    func benchCaptureRuns() async throws {
        let result = try await runProgram(
            OutpostExecutable.path,
            ["bench", "capture", "--rows", "2000", "--rounds", "1", "--json"]
        )
        #expect(result.status == 0, "\(result)")
        let report = try JSONValue(parsing: result.stdout)
        for key in [
            "plain_seconds", "captured_seconds", "capture_ratio", "small_transaction_ratio", "multi_row_capture_ratio",
        ] {
            guard case .double(let value)? = report[key] else {
                Issue.record("missing \(key)")
                continue
            }
            #expect(value > 0)
        }
    }

    @Test("bench sync times as many initial pulls as --pull-pairs asks, and reports their median")
    func benchSyncPullPairs() async throws {
        let result = try await runProgram(
            OutpostExecutable.path,
            ["bench", "sync", "--rows", "200", "--samples", "10", "--pull-pairs", "3", "--json"]
        )
        #expect(result.status == 0, "\(result)")
        let report = try JSONValue(parsing: result.stdout)
        guard case .array(let ratios)? = report["pull_ratios"] else {
            Issue.record("no pull_ratios in \(result.stdout)")
            return
        }
        let values = ratios.compactMap { value -> Double? in
            if case .double(let number) = value { number } else { nil }
        }.sorted()
        try #require(values.count == 3, "\(ratios)")
        #expect(values.allSatisfy { $0 > 0 }, "\(ratios)")
        #expect(report["pull_ratio"] == .double(values[1]))

        let refused = try await runProgram(OutpostExecutable.path, ["bench", "sync", "--pull-pairs", "0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--pull-pairs must be from 1 to 50"), "\(refused)")
    }
}

/// The node's token need not be on the command line, where `ps` shows it (issue 15, item 17).
@Suite("outpost remote set takes the token from a file or the environment")
struct RemoteTokenTests {
    @Test("a 0600 file or $OUTPOST_TOKEN sets it; a file others can read, or none, is refused")
    func tokenSources() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let file = node.folder.appending("node.token")
        try Data("secret-from-file\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o600)
        let fromFile = try await node.outpost("remote", "set", "http://127.0.0.1:9", "--token-file", file)
        #expect(fromFile.status == 0, "\(fromFile)")
        let stored = try String(contentsOfFile: node.home + "/remote.token", encoding: .utf8)
        #expect(stored.trimmingCharacters(in: .newlines) == "secret-from-file")

        let fromEnvironment = try await OutpostExecutable.run(
            ["remote", "set", "http://127.0.0.1:9"],
            home: node.home,
            environment: ["OUTPOST_TOKEN": "secret-from-env"]
        )
        #expect(fromEnvironment.status == 0, "\(fromEnvironment)")
        let replaced = try String(contentsOfFile: node.home + "/remote.token", encoding: .utf8)
        #expect(replaced.trimmingCharacters(in: .newlines) == "secret-from-env")

        chmod(file, 0o644)
        expectOneLineFailure(
            try await node.outpost("remote", "set", "http://127.0.0.1:9", "--token-file", file),
            mentioning: "chmod 600"
        )
        expectOneLineFailure(try await node.outpost("remote", "set", "http://127.0.0.1:9"), mentioning: "No token")
    }
}
