import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// A peer that can push to the definitions repository must not be able to make other nodes
/// write, delete or read outside their workspace through symbolic links (issue 15, item 12).
@Suite("The workspace never follows a symbolic link", .serialized)
struct WorkspaceLinkTests {
    @Test("a link that arrives through git is refused on sync and checkout; nothing outside is touched")
    func linksFromGitAreRefused() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws-links")
        defer { folder.remove() }
        let remote = try await bareRemote(in: folder)
        let victim = folder.appending("victim")
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim + "/precious.json"))
        let secret = folder.appending("secret.json")
        try Data(#"{"token": "s3cret"}"#.utf8).write(to: URL(fileURLWithPath: secret))

        let node = try await WorkspaceNode(in: folder, name: "node", remote: remote)
        try await node.succeed("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision")
        try await node.succeed("workspace", "export")
        try await node.succeed("workspace", "commit", "-m", "Scout")
        try await node.succeed("workspace", "sync")

        // The attacker's clone replaces the agents folder with a link, and links a config.
        let attacker = folder.appending("attacker")
        #expect(
            try await runProgram("/usr/bin/env", ["git", "clone", "-q", "-b", "main", remote, attacker]).status == 0
        )
        let git = { (arguments: [String]) in try await runProgram("/usr/bin/env", ["git", "-C", attacker] + arguments) }
        _ = try await git(["rm", "-q", "-r", "agents"])
        try FileManager.default.createSymbolicLink(atPath: attacker + "/agents", withDestinationPath: victim)
        try FileManager.default.createDirectory(atPath: attacker + "/configs", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: attacker + "/configs/x.json", withDestinationPath: secret)
        _ = try await git(["add", "-A"])
        _ = try await git(["-c", "user.name=m", "-c", "user.email=m@x", "commit", "-q", "-m", "links"])
        #expect(try await git(["push", "-q", "origin", "HEAD:main"]).status == 0)

        let synced = try await node.outpost("workspace", "sync")
        #expect(synced.status != 0, "\(synced)")
        #expect(synced.stderr.contains("symbolic link"), "\(synced)")
        var info = stat()
        #expect(lstat(node.workspace + "/agents", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
        let linkedCommit = try await runProgram("/usr/bin/env", ["git", "-C", attacker, "rev-parse", "HEAD"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await node.git("fetch", "-q", "origin")
        let checkout = try await node.outpost("workspace", "checkout", linkedCommit)
        #expect(checkout.status != 0 && checkout.stderr.contains("symbolic link"), "\(checkout)")

        try await node.succeed("workspace", "export")
        #expect(FileManager.default.fileExists(atPath: victim + "/precious.json"), "nothing outside is deleted")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim) == ["precious.json"])
        let stored = try await node.json(
            "sql",
            "SELECT count(*) AS n FROM workspace_items WHERE content LIKE '%s3cret%'"
        )
        #expect(stored == [["n": 0]], "the secret never reaches the store: \(stored)")
    }

    @Test("an item folder replaced by a link on this machine is refused, not written through")
    func localLinkIsRefused() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-ws-links")
        defer { folder.remove() }
        let elsewhere = folder.appending("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let node = try await WorkspaceNode(in: folder, name: "node")
        try await node.succeed("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision")
        try FileManager.default.removeItem(atPath: node.workspace + "/agents")
        try FileManager.default.createSymbolicLink(atPath: node.workspace + "/agents", withDestinationPath: elsewhere)
        let exported = try await node.outpost("workspace", "export")
        #expect(exported.status != 0 && exported.stderr.contains("symbolic link"), "\(exported)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }
}
