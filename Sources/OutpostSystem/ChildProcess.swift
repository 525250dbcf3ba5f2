package import Foundation
package import OutpostCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one way Outpost runs another program: an argument array (never a shell string), both
/// output pipes drained at once (a child that fills its standard error while we wait on its
/// standard output would otherwise block for ever), and an optional timeout that kills it.
///
/// ```swift
/// let output = try ChildProcess("/usr/bin/git", ["--version"]).run(timeout: .seconds(10))
/// print(output.status, String(decoding: output.stdout, as: UTF8.self))
/// ```
///
/// A long-running child (a hub, a daemon) is started with ``start(capturing:)`` instead, which
/// returns a ``Running`` handle to watch, stop and wait for it.
package struct ChildProcess: Sendable {
    /// The program's path (no `PATH` search).
    package var executable: String
    package var arguments: [String]
    /// The child's whole environment; `nil` passes this process's environment on.
    package var environment: [String: String]?
    /// Where the child starts; `nil` is this process's current directory.
    package var workingDirectory: String?
    /// Written to the child's standard input, which is `/dev/null` when this is `nil`.
    package var input: Data?

    package init(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        input: Data? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.input = input
    }

    /// How a child ended.
    package enum Termination: Sendable, Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// This signal ended it.
        case signalled(Int32)

        /// The exit status, or the number of the signal that ended the child (as `Process` says).
        package var status: Int32 {
            switch self {
            case .exited(let status), .signalled(let status): status
            }
        }
    }

    /// What a finished child printed, and how it ended.
    package struct Output: Sendable {
        package var termination: Termination
        package var stdout: Data
        package var stderr: Data
        /// The timeout passed and the child was killed; the output is what came before.
        package var timedOut: Bool

        /// The exit status, or the number of the signal that ended the child.
        package var status: Int32 { termination.status }
    }

    /// Runs the program to its end and collects both outputs.
    ///
    /// - Parameter timeout: the child is killed (SIGKILL) when it has not finished by then;
    ///   `nil` (the default) waits as long as it takes.
    /// - Throws: ``OutpostError`` `.notFound` when the program cannot be started.
    package func run(timeout: Duration? = nil) throws(OutpostError) -> Output {
        let stdout = Pipe()
        let stderr = Pipe()
        let exited = DispatchSemaphore(value: 0)
        let process = try launch(standardOutput: stdout, standardError: stderr) { exited.signal() }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var outputs = [Data(), Data()]
        let drained = Self.drain(
            [stdout.fileHandleForReading.fileDescriptor, stderr.fileHandleForReading.fileDescriptor],
            into: &outputs,
            until: deadline
        )
        var timedOut = !drained
        var ended = false
        if !timedOut, let deadline {
            let left = max(.zero, deadline - ContinuousClock.now)
            ended = exited.wait(timeout: .now() + left.timeInterval) == .success
            timedOut = !ended
        }
        if timedOut { Foundation.kill(process.processIdentifier, SIGKILL) }
        // Sleeps until the child has ended; `waitUntilExit()` alone would spin a run loop.
        if !ended { exited.wait() }
        process.waitUntilExit()
        return Output(
            termination: Self.termination(of: process),
            stdout: outputs[0],
            stderr: outputs[1],
            timedOut: timedOut
        )
    }

    /// Starts the program with the given output destinations, feeding ``input`` from a thread
    /// of its own (the child may fill its output before it reads all its input). `exited` is
    /// set before the start, so it cannot miss a child that ends at once.
    func launch(standardOutput: Any, standardError: Any, exited: @escaping @Sendable () -> Void)
        throws(OutpostError) -> Process
    {
        let process = Process()
        process.terminationHandler = { _ in exited() }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardOutput = standardOutput
        process.standardError = standardError
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw OutpostError(
                .notFound,
                "Cannot run \(executable): there is no executable program at that path.",
                details: ["program": executable]
            )
        }
        do {
            try process.run()
        } catch {
            throw OutpostError(
                .notFound,
                "Cannot run \(executable): \((error as NSError).localizedDescription).",
                details: ["program": executable]
            )
        }
        if let input, let writer = stdin?.fileHandleForWriting {
            DedicatedThread.startOrCrash {
                writer.write(input)
                try? writer.close()
            }
        }
        return process
    }

    static func termination(of process: Process) -> Termination {
        process.terminationReason == .exit
            ? .exited(process.terminationStatus) : .signalled(process.terminationStatus)
    }

    /// Reads every descriptor to its end, whichever has data first; false when `deadline` came
    /// before the ends did.
    private static func drain(
        _ descriptors: [Int32],
        into outputs: inout [Data],
        until deadline: ContinuousClock.Instant?
    )
        -> Bool
    {
        var open = Array(descriptors.indices)
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while !open.isEmpty {
            var waiting = open.map { pollfd(fd: descriptors[$0], events: Int16(POLLIN), revents: 0) }
            var milliseconds: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return false }
                milliseconds = Int32(clamping: Int64((left.timeInterval * 1000).rounded(.up)))
            }
            let ready = poll(&waiting, nfds_t(waiting.count), milliseconds)
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0 else { return true }
            for (slot, entry) in zip(open, waiting) where entry.revents != 0 {
                let count = read(descriptors[slot], &buffer, buffer.count)
                if count > 0 {
                    outputs[slot].append(contentsOf: buffer[..<count])
                } else if count == 0 || errno != EINTR {
                    open.removeAll { $0 == slot }
                }
            }
        }
        return true
    }
}

extension Duration {
    /// The duration in seconds, for the APIs that count in `TimeInterval`.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
