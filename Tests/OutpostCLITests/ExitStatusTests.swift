import Foundation
import OutpostTesting
import Testing

/// `outpost` exits with the status its failure's kind documents (README, "Exit statuses"), so a
/// script can tell a hub that is down from a bad argument or a missing node.
@Suite("Exit statuses")
struct ExitStatusTests {
    @Test(
        "each kind of failure has its documented status",
        arguments: [
            (["agent", "show", "nobody"], 66),
            (["agent", "add", "--name", "n", "--type", "t", "--config", "{not json"], 65),
            (["sync"], 78),
            (["bogus-command"], 64),
        ] as [([String], Int32)]
    )
    func statuses(arguments: [String], status: Int32) async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let result = try await node.outpost(arguments: arguments)
        #expect(result.status == status, "\(arguments): \(result)")
        #expect(result.stderr.hasPrefix("Error: "), "\(result)")
    }

    @Test("no node at HOME is a precondition failure (78); a hub that does not answer is 69")
    func missingNodeAndUnreachableHub() async throws {
        let missing = try await CLINode(initialised: false)
        defer { missing.folder.remove() }
        #expect(try await missing.outpost("status").status == 78)

        let node = try await CLINode()
        defer { node.folder.remove() }
        let token = node.folder.appending("token")
        try "a-token".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        #expect(try await node.outpost("remote", "set", "http://127.0.0.1:9", "--token-file", token).status == 0)
        let sync = try await node.outpost("sync")
        #expect(sync.status == 69, "\(sync)")
        #expect(sync.stderr.contains("could not be reached"), "\(sync)")
    }

    @Test("a token the hub refuses is 77, and the CLI says how to get a new one")
    func refusedToken() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let hub = try await HubProcess.start(arguments: ["--home", node.folder.appending("hub")])
        defer { hub.stop() }
        let token = node.folder.appending("token")
        try "not-a-token-the-hub-issued".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        #expect(try await node.outpost("remote", "set", hub.url, "--token-file", token).status == 0)
        let sync = try await node.outpost("sync")
        #expect(sync.status == 77, "\(sync)")
        #expect(sync.stderr.contains("refused this node's token"), "\(sync)")
        #expect(sync.stderr.contains("`outpost hub node add`"), "the remedy names the command: \(sync)")
        #expect(sync.stderr.split(separator: "\n").count == 1, "one line: \(sync)")
    }
}
