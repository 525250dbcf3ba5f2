import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostTesting
import Testing

@Suite("outpost workspace: files, history and apply through the real executable and git", .serialized)
struct WorkspaceCommandTests {
    @Test("init, export, edit, commit, log, diff, checkout and apply")
    func lifecycle() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws")
        defer { folder.remove() }
        let node = try await WorkspaceNode(in: folder, name: "node")
        #expect(
            try await node.git("config", "merge.outpost-json.driver").stdout.contains(
                "'workspace' 'merge-driver' '--home'"
            )
        )
        let attributes = try String(contentsOfFile: node.workspace + "/.gitattributes", encoding: .utf8)
        #expect(attributes.contains("*.json merge=outpost-json"))

        try await node.succeed(
            "agent",
            "add",
            "--id",
            "a1",
            "--name",
            "Scout",
            "--type",
            "vision",
            "--config",
            #"{"fps": 5}"#
        )
        try await node.succeed(
            "workflow",
            "add",
            "--id",
            "w1",
            "--name",
            "Count",
            "--agent",
            "a1",
            "--definition",
            #"{"steps": [{"id": "count", "type": "sql", "sql": "SELECT count(*) FROM agents"}]}"#
        )
        let exported = try await node.json("workspace", "export")
        #expect(exported["added"] == 2)
        let text = try String(contentsOfFile: node.workspace + "/agents/a1.json", encoding: .utf8)
        #expect(
            text == "{\n  \"config\": {\n    \"fps\": 5\n  },\n  \"id\": \"a1\",\n  \"name\": \"Scout\",\n"
                + "  \"status\": \"inactive\",\n  \"type\": \"vision\"\n}\n",
            "canonical: keys sorted, two-space indentation, trailing newline"
        )
        #expect(try node.file("workflows/w1.json")["agent_id"] == "a1")
        #expect(try await node.json("workspace", "export")["unchanged"] == 2, "a second export rewrites nothing")

        let pending = try #require(try await node.json("workspace", "status")["items"]?.arrayValue)
        #expect(pending.map { $0["sync_status"] } == ["pending", "pending"])
        let first = try await node.json(
            "workspace",
            "commit",
            "-m",
            "First definitions",
            "--author",
            "Ada <ada@example.org>"
        )
        #expect(first["items"] == 2)
        let committed = try #require(try await node.json("workspace", "status")["items"]?.arrayValue)
        #expect(committed.map { $0["sync_status"] } == ["committed", "committed"])
        #expect(try await node.json("workspace", "commit", "-m", "Again")["commit"] == .null, "nothing left to commit")

        try node.write(text.replacingOccurrences(of: "\"Scout\"", with: "\"Scout II\""), to: "agents/a1.json")
        let diff = try await node.succeed("workspace", "diff")
        #expect(diff.stdout.contains("-  \"name\": \"Scout\",") && diff.stdout.contains("+  \"name\": \"Scout II\","))
        let applied = try await node.json("workspace", "apply")
        #expect(applied["updated"] == 1 && applied["unchanged"] == 1)
        let renamed = try await node.json("agent", "show", "a1")
        #expect(renamed["name"] == "Scout II" && renamed["version"] == 2)
        try await node.succeed("workspace", "commit", "-m", "Rename the scout")

        let log = try await node.json("workspace", "log")
        let commits = try #require(log.arrayValue)
        #expect(
            commits.map { $0["message"] } == ["Rename the scout", "First definitions", "Create the Outpost workspace"]
        )
        #expect(commits[1]["author"] == "Ada" && commits[1]["email"] == "ada@example.org")

        let firstHash = try #require(commits[1]["commit"]?.stringValue)
        let checkout = try await node.json("workspace", "checkout", firstHash)
        #expect(checkout["applied"]?["updated"] == 1)
        #expect(try await node.json("agent", "show", "a1")["name"] == "Scout", "the store is rolled back too")
        #expect(try node.file("agents/a1.json")["name"] == "Scout")
        #expect(
            try await node.json("workspace", "diff", "HEAD")["changes"] == [["path": "agents/a1.json", "change": "M"]]
        )
        let captured = try await Store(path: node.storePath).write { db in
            try Outbox(db).fold()
            return try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM sync_queue WHERE table_name = 'agents' AND record_id = 'a1'"
            )
        }
        #expect(captured == 1, "the applied writes are captured for sync, coalesced into one pending entry")
        expectOneLineFailure(try await node.outpost("workspace", "checkout", "nope"), mentioning: "No commit 'nope'")
    }

    @Test(
        "invalid files are refused with path, line and reason, and the store is unchanged",
        arguments: [
            (
                "agents/a1.json", "{\n  \"id\": \"a1\",\n  \"name\": \"Scout\"\n  \"type\": \"x\"\n}\n",
                "agents/a1.json:4:"
            ),
            (
                "agents/a1.json", "{\n  \"id\": \"a1\",\n  \"name\": \"S\",\n  \"type\": \"x\",\n  \"colour\": 1\n}\n",
                "agents/a1.json:5: unknown member 'colour'"
            ),
            ("agents/a2.json", "{\"id\": \"a1\", \"name\": \"S\", \"type\": \"x\"}", "is not the file's name"),
            (
                "agents/a1.json",
                "{\n  \"id\": \"a1\",\n  \"name\": \"S\",\n  \"type\": \"x\",\n  \"config\": [1]\n}\n",
                "agents/a1.json:5: 'config' must be a JSON object"
            ),
            (
                "workflows/w9.json", "{\n  \"id\": \"w9\",\n  \"name\": \"W\",\n  \"agent_id\": \"ghost\"\n}\n",
                "workflows/w9.json:4: agent_id 'ghost'"
            ),
            (
                "workflows/w8.json",
                "{\n  \"id\": \"w8\",\n  \"name\": \"W\",\n  \"definition\": {\"steps\": [{\"id\": \"s\", \"type\": \"warp\"}]}\n}\n",
                "workflows/w8.json:4: The workflow definition is not valid: steps[0].type: unknown step type 'warp'"
            ),
            ("configs/site.json", "[1, 2]", "configs/site.json:1: must be a JSON object"),
            ("agents/.hidden.json", "{}", "not a definition file name"),
        ]
    )
    func refusesInvalidFiles(path: String, content: String, message: String) async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws")
        defer { folder.remove() }
        let node = try await WorkspaceNode(in: folder, name: "node")
        try await node.succeed("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision")
        try await node.succeed("workspace", "export")
        try node.write("{\"id\": \"a0\", \"name\": \"New\", \"type\": \"x\"}", to: "agents/a0.json")
        let before = try node.snapshot()
        try node.write(content, to: path)
        expectOneLineFailure(try await node.outpost("workspace", "apply"), mentioning: message)
        #expect(try node.snapshot() == before, "nothing applied, not even the valid new agent a0")
    }

    @Test("init refuses a remote path where no repository is, changing nothing, or makes one when asked")
    func initChecksLocalRemote() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws")
        defer { folder.remove() }
        let home = folder.appending("node")
        #expect(try await OutpostExecutable.run(["init"], home: home).status == 0)
        let missing = folder.appending("shared/definitions.git")
        expectOneLineFailure(
            try await OutpostExecutable.run(["workspace", "init", "--remote", missing], home: home),
            mentioning: "is not a git repository (nothing is there); nothing was changed"
        )
        #expect(!FileManager.default.fileExists(atPath: home + "/workspace"), "no workspace was made")
        let made = try await OutpostExecutable.run(
            ["workspace", "init", "--remote", missing, "--create-remote", "--json"],
            home: home
        )
        try #require(made.status == 0, "\(made)")
        #expect(try JSONValue(parsing: made.stdout)["remote"]?.stringValue == missing)
        #expect(FileManager.default.fileExists(atPath: missing + "/HEAD"), "a bare repository is there")
        let synced = try await OutpostExecutable.run(["workspace", "sync"], home: home)
        #expect(synced.status == 0, "the new remote takes the workspace: \(synced)")
        // A network remote is not checked: the node may be offline when it is set up.
        let offline = try await OutpostExecutable.run(
            ["workspace", "init", "--remote", "https://git.example.invalid/fleet/definitions.git"],
            home: home
        )
        #expect(offline.status == 0, "\(offline)")
    }

    @Test("a remote that cannot be reached is a clear error, and local commits are kept")
    func unreachableRemote() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws")
        defer { folder.remove() }
        // The remote was there at init, and is gone since (an unmounted disk, a moved share).
        let remote = try await bareRemote(in: folder)
        let node = try await WorkspaceNode(in: folder, name: "node", remote: remote)
        try FileManager.default.removeItem(atPath: remote)
        try await node.succeed("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision")
        try await node.succeed("workspace", "export")
        try await node.succeed("workspace", "commit", "-m", "Offline work")
        expectOneLineFailure(
            try await node.outpost("workspace", "sync"),
            mentioning: "Cannot reach the workspace remote"
        )
        #expect(try await node.json("workspace", "log").arrayValue?.first?["message"] == "Offline work")
        let items = try #require(try await node.json("workspace", "status")["items"]?.arrayValue)
        #expect(items.map { $0["sync_status"] } == ["committed"])
        let logged = try await Store(path: node.storePath).read { db in
            try String.fetchAll(db, sql: "SELECT operation || ' ' || status FROM workspace_sync_log ORDER BY id")
        }
        #expect(logged == ["commit success", "fetch error"])
    }

    @Test("a missing or too old git is a clear error")
    func missingOrOldGit() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws")
        defer { folder.remove() }
        let home = folder.appending("node")
        #expect(try await OutpostExecutable.run(["init"], home: home).status == 0)
        let missing = try await runProgram(
            OutpostExecutable.path,
            ["workspace", "init", "--home", home],
            environment: ["PATH": folder.appending("empty")]
        )
        expectOneLineFailure(missing, mentioning: "No git program on PATH")
        let fake = folder.appending("old-git")
        try "#!/bin/sh\necho 'git version 2.1.4'\n".write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let old = try await runProgram(
            OutpostExecutable.path,
            ["workspace", "init", "--home", home],
            environment: ["OUTPOST_GIT": fake]
        )
        expectOneLineFailure(old, mentioning: "needs git 2.20 or later")
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}
