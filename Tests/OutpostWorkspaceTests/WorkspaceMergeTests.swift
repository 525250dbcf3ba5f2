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

        init() throws {
            folder = try TemporaryDirectory(prefix: "outpost-ws-merge")
            let remote = try bareRemote(in: folder)
            a = try WorkspaceNode(in: folder, name: "a", remote: remote)
            b = try WorkspaceNode(in: folder, name: "b", remote: remote)
            try a.succeed(
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
            try a.succeed("workspace", "export")
            try a.succeed("workspace", "commit", "-m", "Scout")
            try a.succeed("workspace", "sync")
            let pulled = try b.json("workspace", "sync", "--apply")
            try #require(pulled["applied"]?["added"] == 1, "B applies A's agent: \(pulled)")
        }

        /// Edits a1 on `node` through the store, exports and commits (at `date`, seconds since
        /// 1970, when given: git's commit times are what "newest" rules compare).
        func edit(_ node: WorkspaceNode, _ arguments: String..., message: String, at date: Int? = nil) throws {
            try node.succeed(arguments: ["agent", "update", "a1"] + arguments)
            try node.succeed("workspace", "export")
            let dated = date.map { ["GIT_AUTHOR_DATE": "\($0) +0000", "GIT_COMMITTER_DATE": "\($0) +0000"] }
            try node.succeed(arguments: ["workspace", "commit", "-m", message], environment: dated ?? [:])
        }
    }

    @Test("edits to different fields of one agent merge cleanly, and both nodes end equal")
    func differentFields() throws {
        let pair = try Pair()
        defer { pair.folder.remove() }
        try pair.edit(pair.a, "--name", "Scout A", message: "Rename on A")
        try pair.a.succeed("workspace", "sync")
        try pair.edit(pair.b, "--config", #"{"fps": 10, "zoom": 1}"#, message: "Faster on B")
        let merged = try pair.b.json("workspace", "sync", "--apply")
        #expect(merged["merged"] == true && merged["changed"] == ["agents/a1.json"], "\(merged)")
        try pair.a.succeed("workspace", "sync", "--apply")

        for node in [pair.a, pair.b] {
            let file = try node.file("agents/a1.json")
            #expect(file["name"] == "Scout A" && file["config"]?["fps"] == 10, "\(node.home): \(file)")
            let agent = try node.json("agent", "show", "a1")
            #expect(agent["name"] == "Scout A" && agent["config"]?["fps"] == 10)
            #expect(try node.json("workspace", "status")["items"] == [])
        }
        let parents = try pair.b.git("log", "-1", "--format=%P").stdout.split(separator: " ")
        #expect(parents.count == 2, "B made a merge commit")
        #expect(try pair.a.git("rev-parse", "HEAD").stdout == pair.b.git("rev-parse", "HEAD").stdout)
    }

    @Test("the same field edited on both follows the rules: the newer commit's name wins, on the merging side too")
    func sameFieldFollowsRules() throws {
        let pair = try Pair()
        defer { pair.folder.remove() }
        // B's edit is older than A's; B merges. "name → newest" must give A's name, not B's own.
        let now = Int(Date().timeIntervalSince1970)
        try pair.edit(pair.b, "--name", "Scout B", message: "Rename on B", at: now)
        try pair.edit(pair.a, "--name", "Scout A", message: "Rename on A", at: now + 2)
        try pair.a.succeed("workspace", "sync")
        try pair.b.succeed("workspace", "sync", "--apply")
        try pair.a.succeed("workspace", "sync", "--apply")
        for node in [pair.a, pair.b] {
            #expect(try node.file("agents/a1.json")["name"] == "Scout A")
            #expect(try node.json("agent", "show", "a1")["name"] == "Scout A")
        }
        #expect(try pair.b.json("conflicts", "list") == [], "the rules settled it; no person needed")
    }

    @Test("a collision that needs a person shows in both listings and resolves from either")
    func collisionNeedsPerson() throws {
        let pair = try Pair()
        defer { pair.folder.remove() }
        try pair.b.succeed("rules", "set", "agents", "--strategy", "manual")
        try pair.edit(pair.a, "--name", "Scout A", message: "Rename on A")
        try pair.a.succeed("workspace", "sync")
        try pair.edit(pair.b, "--name", "Scout B", message: "Rename on B")
        let sync = try pair.b.outpost("workspace", "sync")
        expectOneLineFailure(sync, mentioning: "need a person (agents/a1.json)")

        let status = try pair.b.json("workspace", "status")
        let conflicts = try #require(status["conflicts"]?.arrayValue)
        #expect(conflicts.count == 1 && status["merging"] == true)
        let listed = try #require(try pair.b.json("conflicts", "list").arrayValue)
        #expect(listed.count == 1)
        #expect(
            listed.first?["kind"] == "workspace" && listed.first?["table"] == "agents" && listed.first?["key"] == "a1"
        )
        #expect(listed.first?["fields"] == ["name"])
        let id = try #require(listed.first?["id"]?.integerValue)
        #expect(conflicts.first?["id"] == .integer(id))
        let marked = try String(contentsOfFile: pair.b.workspace + "/agents/a1.json", encoding: .utf8)
        #expect(marked.contains("<<<<<<< ours") && marked.contains(">>>>>>> theirs"), "plain git users see both sides")
        expectOneLineFailure(try pair.b.outpost("workspace", "commit", "-m", "too early"), mentioning: "conflicted")
        expectOneLineFailure(try pair.b.outpost("workspace", "apply"), mentioning: "conflicted")

        try pair.b.succeed("conflicts", "resolve", "\(id)", "--keep", "remote", "--by", "ada")
        #expect(try pair.b.file("agents/a1.json")["name"] == "Scout A")
        #expect(try pair.b.json("conflicts", "list") == [])
        #expect(try pair.b.json("workspace", "status")["conflicts"] == [])
        let resolved = try pair.b.json("conflicts", "show", "\(id)")
        #expect(resolved["status"] == "resolved" && resolved["resolved_by"] == "ada")
        try pair.b.succeed("workspace", "commit", "-m", "Merge: keep A's name")
        try pair.b.succeed("workspace", "sync")
        try pair.b.succeed("workspace", "apply")
        try pair.a.succeed("workspace", "sync")
        #expect(try pair.a.git("rev-parse", "HEAD").stdout == pair.b.git("rev-parse", "HEAD").stdout)
        #expect(try pair.b.json("agent", "show", "a1")["name"] == "Scout A")
    }

    @Test("workspace resolve takes a path and writes the person's own content")
    func resolveByPath() throws {
        let pair = try Pair()
        defer { pair.folder.remove() }
        try pair.b.succeed("rules", "set", "agents", "--strategy", "manual")
        try pair.edit(pair.a, "--name", "Scout A", message: "Rename on A")
        try pair.a.succeed("workspace", "sync")
        try pair.edit(pair.b, "--name", "Scout B", message: "Rename on B")
        #expect(try pair.b.outpost("workspace", "sync").status != 0)
        let data = #"{"id": "a1", "name": "Scout AB", "type": "vision", "status": "inactive"}"#
        expectOneLineFailure(
            try pair.b.outpost("workspace", "resolve", "agents/a1.json", "--data", #"{"id": "a1"}"#),
            mentioning: "has no 'name'"
        )
        try pair.b.succeed("workspace", "resolve", "agents/a1.json", "--data", data)
        #expect(try pair.b.file("agents/a1.json")["name"] == "Scout AB")
        try pair.b.succeed("workspace", "commit", "-m", "Merge by hand")
        let applied = try pair.b.json("workspace", "apply")
        #expect(applied["updated"] == 1)
        #expect(try pair.b.json("agent", "show", "a1")["name"] == "Scout AB")
    }
}

extension JSONValue {
    var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
