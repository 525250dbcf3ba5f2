import Foundation
import Synchronization

/// `outpost hub serve` (or another serving `outpost` command) running as a real process on
/// 127.0.0.1, on a port it picks.
///
/// ```swift
/// let hub = try HubProcess.start(arguments: ["--home", folder.path])
/// defer { hub.stop() }
/// // talk HTTP to hub.url
/// ```
public final class HubProcess: Sendable {
    public let url: String
    public let port: Int
    private let process: Process
    private let output: OutputBuffer

    /// What the process printed, appended from the pipe's reader thread.
    private final class OutputBuffer: Sendable {
        let text = Mutex("")
    }

    private init(process: Process, port: Int, output: OutputBuffer) {
        self.process = process
        self.port = port
        self.url = "http://127.0.0.1:\(port)"
        self.output = output
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

    /// Starts any long-running `outpost` command (a node's `run --metrics 127.0.0.1:0` too) and
    /// waits until it prints `readyMarker` followed by the port it listens on.
    public static func launch(_ arguments: [String], readyMarker: String, timeout: Duration = .seconds(30)) throws
        -> HubProcess
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: OutpostExecutable.path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let output = OutputBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = output.text.withLock { $0 }
            if let range = text.range(of: readyMarker) {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return HubProcess(process: process, port: port, output: output) }
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.terminate()
        throw HubProcessError(
            message: "outpost \(arguments.joined(separator: " ")) did not start: \(output.text.withLock { $0 })"
        )
    }

    /// What the process printed so far.
    public var log: String { output.text.withLock { $0 } }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    /// Kills the process at once (SIGKILL).
    public func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

public struct HubProcessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
