import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// A node home in a temporary folder, driven through the real `outpost` executable.
struct CLINode {
    let folder: TemporaryDirectory
    var home: String { folder.appending("node") }
    var storePath: String { home + "/store.sqlite" }

    init(initialised: Bool = true) throws {
        folder = try TemporaryDirectory(prefix: "outpost-cli")
        if initialised {
            let result = try outpost("init")
            try #require(result.status == 0, "init failed: \(result)")
        }
    }

    /// Runs `outpost ARGUMENTS --home HOME`.
    func outpost(_ arguments: String...) throws -> CommandResult {
        try OutpostExecutable.run(arguments, home: home)
    }

    func outpost(arguments: [String]) throws -> CommandResult {
        try OutpostExecutable.run(arguments, home: home)
    }

    func json(_ arguments: String...) throws -> JSONValue {
        let result = try OutpostExecutable.run(arguments + ["--json"], home: home)
        try #require(result.status == 0, "\(arguments) failed: \(result)")
        return try JSONValue(parsing: result.stdout)
    }

    /// ``outpost(_:)`` for async tests: the wait for the child holds a thread of its own, not
    /// one of the two cooperative threads every parallel test shares.
    func run(_ arguments: String...) async throws -> CommandResult {
        try await runProgram(OutpostExecutable.path, arguments + ["--home", home])
    }

    /// ``json(_:)`` for async tests.
    func runJSON(_ arguments: String...) async throws -> JSONValue {
        let result = try await runProgram(OutpostExecutable.path, arguments + ["--json", "--home", home])
        try #require(result.status == 0, "\(arguments) failed: \(result)")
        return try JSONValue(parsing: result.stdout)
    }

    func snapshot() throws -> [String: [String]] { try StoreSnapshot.take(storePath) }
}
