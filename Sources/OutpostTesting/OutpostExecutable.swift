import Foundation

/// The built `outpost` executable, run as a user runs it.
///
/// Found next to the test bundle in the build folder (SwiftPM builds executables before the
/// tests that depend on their target), or at `$OUTPOST_EXECUTABLE`.
public enum OutpostExecutable {
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["OUTPOST_EXECUTABLE"] { return override }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("outpost").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        for build in [".build/debug/outpost", ".build/release/outpost"]
        where FileManager.default.isExecutableFile(atPath: build) {
            return URL(fileURLWithPath: build).path
        }
        return "outpost"
    }

    /// Runs `outpost ARGUMENTS` with `--home` set to `home` (when given), and `environment` on
    /// top of this process's.
    public static func run(
        _ arguments: [String],
        home: String? = nil,
        environment: [String: String] = [:]
    ) throws -> CommandResult {
        try runProgram(path, arguments + (home.map { ["--home", $0] } ?? []), environment: environment)
    }

    /// ``run(_:home:environment:)`` for async callers: the wait for the child holds a thread of
    /// its own, never one of the cooperative pool's.
    public static func run(
        _ arguments: [String],
        home: String? = nil,
        environment: [String: String] = [:]
    ) async throws -> CommandResult {
        try await runProgram(path, arguments + (home.map { ["--home", $0] } ?? []), environment: environment)
    }
}
