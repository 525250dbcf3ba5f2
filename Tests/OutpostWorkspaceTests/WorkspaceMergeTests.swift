import Foundation
import OutpostCore
import OutpostTesting
import Testing

@Suite("Two workspaces share definitions through a bare remote; the JSON merge driver merges them", .serialized)
struct WorkspaceMergeTests {
    /// Nodes A and B sharing a bare remote, both with agent a1 (made on A, pulled by B).
    struct Pair {
        let folder: TemporaryDirectory
        let a: WorkspaceNode
        let b: WorkspaceNode

        init() async throws {
            folder = try TemporaryDirectory(prefix: "outpost-ws-merge")
            let remote = try await bareRemote(in: folder)
            a = try await WorkspaceNode(in: folder, name: "a", remote: remote)
            b = try await WorkspaceNode(in: folder, name: "b", remote: remote)
            try await a.succeed(
                "agent",
                "add",
                "--id",
                "a1",
                "--name",
                "Scout",
                "--type",
                "vision",
                "--config",
                #"{"fps": 5, "zoom": 1}"#
            )
            try await a.succeed("workspace", "export")
            try await a.succeed("workspace", "commit", "-m", "Scout")
            try await a.succeed("workspace", "sync")
            let pulled = try await b.json("workspace", "sync", "--apply")
            try #require(pulled["applied"]?["added"] == 1, "B applies A's agent: \(pulled)")
        }

        /// Edits a1 on `node` through the store, exports and commits (at `date`, seconds since
        /// 1970, when given: git's commit times are what "newest" rules compare).
        func edit(_ node: WorkspaceNode, _ arguments: String..., message: String, at date: Int? = nil) async throws {
            try await node.succeed(arguments: ["agent", "update", "a1"] + arguments)
            try await node.succeed("workspace", "export")
            let dated = date.map { ["GIT_AUTHOR_DATE": "\($0) +0000", "GIT_COMMITTER_DATE": "\($0) +0000"] }
            try await node.succeed(arguments: ["workspace", "commit", "-m", message], environment: dated ?? [:])
        }
    }

    @Test("edits to different fields of one agent merge cleanly, and both nodes end equal")
    func differentFields() async throws {
        let pair = try await Pair()
        defer { pair.folder.remove() }
        try await pair.edit(pair.a, "--name", "Scout A", message: "Rename on A")
        try await pair.a.succeed("workspace", "sync")
        try await pair.edit(pair.b, "--config", #"{"fps": 10, "zoom": 1}"#, message: "Faster on B")
        let merged = try await pair.b.json("workspace", "sync", "--apply")
        #expect(merged["merged"] == true && merged["changed"] == ["agents/a1.json"], "\(merged)")
        try await pair.a.succeed("workspace", "sync", "--apply")

        for node in [pair.a, pair.b] {
            let file = try node.file("agents/a1.json")
            #expect(file["name"] == "Scout A" && file["config"]?["fps"] == 10, "\(node.home): \(file)")
            let agent = try await node.json("agent", "show", "a1")
            #expect(agent["name"] == "Scout A" && agent["config"]?["fps"] == 10)
            #expect(try await node.json("workspace", "status")["items"] == [])
        }
        let parents = try await pair.b.git("log", "-1", "--format=%P").stdout.split(separator: " ")
        #expect(parents.count == 2, "B made a merge commit")
        #expect(try await pair.a.git("rev-parse", "HEAD").stdout == pair.b.git("rev-parse", "HEAD").stdout)
    }

    @Test("the same field edited on both follows the rules: the newer commit's name wins, on the merging side too")
    func sameFieldFollowsRules() async throws {
        let pair = try await Pair()
        defer { pair.folder.remove() }
        // B's edit is older than A's; B merges. "name → newest" must give A's name, not B's own.
        let now = Int(Date().timeIntervalSince1970)
        try await pair.edit(pair.b, "--name", "Scout B", message: "Rename on B", at: now)
        try await pair.edit(pair.a, "--name", "Scout A", message: "Rename on A", at: now + 2)
        try await pair.a.succeed("workspace", "sync")
        try await pair.b.succeed("workspace", "sync", "--apply")
        try await pair.a.succeed("workspace", "sync", "--apply")
        for node in [pair.a, pair.b] {
            #expect(try node.file("agents/a1.json")["name"] == "Scout A")
            #expect(try await node.json("agent", "show", "a1")["name"] == "Scout A")
        }
        #expect(try await pair.b.json("conflicts", "list") == [], "the rules settled it; no person needed")
    }

    @Test("a collision that needs a person shows in both listings and resolves from either")
    func collisionNeedsPerson() async throws {
        let pair = try await Pair()
        defer { pair.folder.remove() }
        try await pair.b.succeed("rules", "set", "agents", "--strategy", "manual")
        try await pair.edit(pair.a, "--name", "Scout A", message: "Rename on A")
        try await pair.a.succeed("workspace", "sync")
        try await pair.edit(pair.b, "--name", "Scout B", message: "Rename on B")
        let sync = try await pair.b.outpost("workspace", "sync")
        expectOneLineFailure(sync, mentioning: "need a person (agents/a1.json)")

        let status = try await pair.b.json("workspace", "status")
        let conflicts = try #require(status["conflicts"]?.arrayValue)
        #expect(conflicts.count == 1 && status["merging"] == true)
        let listed = try #require(try await pair.b.json("conflicts", "list").arrayValue)
        #expect(listed.count == 1)
        #expect(
            listed.first?["kind"] == "workspace" && listed.first?["table"] == "agents" && listed.first?["key"] == "a1"
        )
        #expect(listed.first?["fields"] == ["name"])
        let id = try #require(listed.first?["id"]?.integerValue)
        #expect(conflicts.first?["id"] == .integer(id))
        let marked = try String(contentsOfFile: pair.b.workspace + "/agents/a1.json", encoding: .utf8)
        #expect(marked.contains("<<<<<<< ours") && marked.contains(">>>>>>> theirs"), "plain git users see both sides")
        expectOneLineFailure(
            try await pair.b.outpost("workspace", "commit", "-m", "too early"),
            mentioning: "conflicted"
        )
        expectOneLineFailure(try await pair.b.outpost("workspace", "apply"), mentioning: "conflicted")

        try await pair.b.succeed("conflicts", "resolve", "\(id)", "--keep", "remote", "--by", "ada")
        #expect(try pair.b.file("agents/a1.json")["name"] == "Scout A")
        #expect(try await pair.b.json("conflicts", "list") == [])
        #expect(try await pair.b.json("workspace", "status")["conflicts"] == [])
        let resolved = try await pair.b.json("conflicts", "show", "\(id)")
        #expect(resolved["status"] == "resolved" && resolved["resolved_by"] == "ada")
        try await pair.b.succeed("workspace", "commit", "-m", "Merge: keep A's name")
        try await pair.b.succeed("workspace", "sync")
        try await pair.b.succeed("workspace", "apply")
        try await pair.a.succeed("workspace", "sync")
        #expect(try await pair.a.git("rev-parse", "HEAD").stdout == pair.b.git("rev-parse", "HEAD").stdout)
        #expect(try await pair.b.json("agent", "show", "a1")["name"] == "Scout A")
    }

    @Test("workspace resolve takes a path and writes the person's own content")
    func resolveByPath() async throws {
        let pair = try await Pair()
        defer { pair.folder.remove() }
        try await pair.b.succeed("rules", "set", "agents", "--strategy", "manual")
        try await pair.edit(pair.a, "--name", "Scout A", message: "Rename on A")
        try await pair.a.succeed("workspace", "sync")
        try await pair.edit(pair.b, "--name", "Scout B", message: "Rename on B")
        #expect(try await pair.b.outpost("workspace", "sync").status != 0)
        let data = #"{"id": "a1", "name": "Scout AB", "type": "vision", "status": "inactive"}"#
        expectOneLineFailure(
            try await pair.b.outpost("workspace", "resolve", "agents/a1.json", "--data", #"{"id": "a1"}"#),
            mentioning: "has no 'name'"
        )
        try await pair.b.succeed("workspace", "resolve", "agents/a1.json", "--data", data)
        #expect(try pair.b.file("agents/a1.json")["name"] == "Scout AB")
        try await pair.b.succeed("workspace", "commit", "-m", "Merge by hand")
        let applied = try await pair.b.json("workspace", "apply")
        #expect(applied["updated"] == 1)
        #expect(try await pair.b.json("agent", "show", "a1")["name"] == "Scout AB")
    }
}

extension JSONValue {
    var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
