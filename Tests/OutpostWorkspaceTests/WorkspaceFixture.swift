import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// A node home with a workspace, driven through the real `outpost` executable; several share
/// a folder (and a bare repository as their remote) when a test needs more than one node.
/// Every command is awaited, so its wait never holds one of the cooperative threads.
struct WorkspaceNode {
    let home: String
    var storePath: String { home + "/store.sqlite" }
    var workspace: String { home + "/workspace" }

    /// Initialises a node at `folder/name` and its workspace (with `remote` as origin).
    init(in folder: TemporaryDirectory, name: String, remote: String? = nil) async throws {
        home = folder.appending(name)
        try #require(try await outpost("init").status == 0)
        let initialised = try await outpost(
            arguments: ["workspace", "init"] + (remote.map { ["--remote", $0] } ?? [])
        )
        try #require(initialised.status == 0, "workspace init failed: \(initialised)")
    }

    func outpost(_ arguments: String...) async throws -> CommandResult {
        try await OutpostExecutable.run(arguments, home: home)
    }

    func outpost(arguments: [String]) async throws -> CommandResult {
        try await OutpostExecutable.run(arguments, home: home)
    }

    /// Runs the command and requires it to succeed.
    @discardableResult
    func succeed(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> CommandResult
    {
        try await succeed(arguments: arguments, sourceLocation: sourceLocation)
    }

    /// Runs the command, with `environment` on top of this process's, and requires it to succeed.
    @discardableResult
    func succeed(
        arguments: [String],
        environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandResult {
        let result = try await OutpostExecutable.run(arguments, home: home, environment: environment)
        try #require(result.status == 0, "\(arguments) failed: \(result)", sourceLocation: sourceLocation)
        return result
    }

    func json(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let result = try await OutpostExecutable.run(arguments + ["--json"], home: home)
        try #require(result.status == 0, "\(arguments) failed: \(result)", sourceLocation: sourceLocation)
        return try JSONValue(parsing: result.stdout)
    }

    /// The workspace file at `path`, parsed.
    func file(_ path: String) throws -> JSONValue {
        try JSONValue(parsing: try #require(FileManager.default.contents(atPath: workspace + "/" + path)))
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: workspace + "/" + path))
    }

    /// Runs plain git in the workspace.
    @discardableResult
    func git(_ arguments: String...) async throws -> CommandResult {
        try await runProgram("/usr/bin/env", ["git", "-C", workspace] + arguments)
    }

    func snapshot() throws -> [String: [String]] { try StoreSnapshot.take(storePath) }
}

/// A bare repository in `folder`, the remote nodes share.
func bareRemote(in folder: TemporaryDirectory) async throws -> String {
    let path = folder.appending("remote.git")
    let result = try await runProgram("/usr/bin/env", ["git", "init", "-q", "--bare", path])
    try #require(result.status == 0, "\(result)")
    return path
}
