import Foundation
import OutpostCore
import OutpostSystem

/// `outpost hub serve` (or another serving `outpost` command) running as a real process on
/// 127.0.0.1, on a port it picks.
///
/// ```swift
/// let hub = try await HubProcess.start(arguments: ["--home", folder.path])
/// defer { hub.stop() }
/// // talk HTTP to hub.url
/// ```
public final class HubProcess: Sendable {
    public let url: String
    public let port: Int
    private let child: ChildProcess.Running

    private init(child: ChildProcess.Running, port: Int) {
        self.child = child
        self.port = port
        self.url = "http://127.0.0.1:\(port)"
    }

    /// Starts the hub with `arguments` (plus `--port 0`) and waits until it listens.
    ///
    /// - Throws: when it exits or does not listen within `timeout`, with what it printed.
    public static func start(arguments: [String], timeout: Duration = .seconds(30)) throws -> HubProcess {
        try launch(
            ["hub", "serve", "--port", "0"] + arguments,
            readyMarker: "listening on http://127.0.0.1:",
            timeout: timeout
        )
    }

    /// ``start(arguments:timeout:)`` for async callers: the wait for the port holds a thread of
    /// its own, never one of the cooperative pool's.
    public static func start(arguments: [String], timeout: Duration = .seconds(30)) async throws -> HubProcess {
        try await DedicatedThread.run { try start(arguments: arguments, timeout: timeout) }
    }

    /// Starts any long-running `outpost` command (a node's `run --metrics 127.0.0.1:0` too), or
    /// another `program` that serves (a stand-in hub), and waits until it prints `readyMarker`
    /// followed by the port it listens on.
    public static func launch(
        _ arguments: [String],
        program: String = OutpostExecutable.path,
        readyMarker: String,
        timeout: Duration = .seconds(30)
    ) throws -> HubProcess {
        // A hub a test forgot to stop (or stops from a deinit the run ends before) dies with it.
        ChildProcess.killChildrenAtExit()
        let child = try ChildProcess(program, arguments).start(capturing: .everything)
        let port = child.waitForPort(after: readyMarker, timeout: timeout)
        guard let port else {
            child.terminate()
            throw HubProcessError(message: "outpost \(arguments.joined(separator: " ")) did not start: \(child.output)")
        }
        return HubProcess(child: child, port: port)
    }

    /// ``launch(_:readyMarker:timeout:)`` for async callers.
    public static func launch(
        _ arguments: [String],
        program: String = OutpostExecutable.path,
        readyMarker: String,
        timeout: Duration = .seconds(30)
    ) async throws -> HubProcess {
        try await DedicatedThread.run {
            try launch(arguments, program: program, readyMarker: readyMarker, timeout: timeout)
        }
    }

    /// ``stop()`` for async callers.
    @discardableResult
    public func stop() async -> Int32 {
        (try? await DedicatedThread.run { self.stop() }) ?? -1
    }

    /// The hub's process id, to read its memory from `/proc`.
    public var processIdentifier: Int32 { child.processIdentifier }

    /// What the process printed so far.
    public var log: String { child.output }

    /// Sends SIGTERM and waits for the exit (killing the hub when it has not ended within 15
    /// seconds); returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        child.stop().status
    }

    /// Kills the process at once (SIGKILL).
    public func kill() {
        child.kill()
        child.wait()
    }
}

public struct HubProcessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
