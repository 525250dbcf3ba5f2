import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// A node home in a temporary folder, driven through the real `outpost` executable.
///
/// Every command is awaited: the wait for the child holds a thread of its own, never one of
/// the cooperative threads (one per core) that every parallel test shares.
struct CLINode {
    let folder: TemporaryDirectory
    var home: String { folder.appending("node") }
    var storePath: String { home + "/store.sqlite" }

    init(initialised: Bool = true) async throws {
        folder = try TemporaryDirectory(prefix: "outpost-cli")
        if initialised {
            let result = try await outpost("init")
            try #require(result.status == 0, "init failed: \(result)")
        }
    }

    /// Runs `outpost ARGUMENTS --home HOME`.
    func outpost(_ arguments: String...) async throws -> CommandResult {
        try await OutpostExecutable.run(arguments, home: home)
    }

    func outpost(arguments: [String]) async throws -> CommandResult {
        try await OutpostExecutable.run(arguments, home: home)
    }

    /// Runs the command with `--json`, requires it to succeed, and parses what it printed.
    func json(_ arguments: String...) async throws -> JSONValue {
        let result = try await OutpostExecutable.run(arguments + ["--json"], home: home)
        try #require(result.status == 0, "\(arguments) failed: \(result)")
        return try JSONValue(parsing: result.stdout)
    }

    func snapshot() throws -> [String: [String]] { try StoreSnapshot.take(storePath) }
}
