import Foundation
import OutpostCore
import OutpostSystem

/// What a program run by ``runProgram(_:_:environment:workingDirectory:)`` returned.
public struct CommandResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Runs `executable` with `arguments` (no shell), with `environment` on top of this process's,
/// and collects its output and exit status.
public func runProgram(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String] = [:],
    workingDirectory: String? = nil
) throws -> CommandResult {
    var merged = ProcessInfo.processInfo.environment
    merged.merge(environment) { _, new in new }
    let output = try ChildProcess(executable, arguments, environment: merged, workingDirectory: workingDirectory)
        .run()
    return CommandResult(
        status: output.status,
        stdout: String(decoding: output.stdout, as: UTF8.self),
        stderr: String(decoding: output.stderr, as: UTF8.self)
    )
}

/// ``runProgram(_:_:environment:workingDirectory:)`` for async callers: the wait for the child
/// holds a thread of its own, never one of the cooperative pool's.
public func runProgram(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String] = [:],
    workingDirectory: String? = nil
) async throws -> CommandResult {
    try await DedicatedThread.run {
        try runProgram(executable, arguments, environment: environment, workingDirectory: workingDirectory)
    }
}
