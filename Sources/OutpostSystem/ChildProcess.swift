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

        /// The exit status, or the number of the signal that ended the child.
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
        let stdout = try Self.makePipe()
        let stderr: (read: Int32, write: Int32)
        do {
            stderr = try Self.makePipe()
        } catch {
            close(stdout.read)
            close(stdout.write)
            throw error
        }
        let reaper: ChildReaper
        do {
            reaper = try launch(output: .descriptor(stdout.write), error: .descriptor(stderr.write))
        } catch {
            [stdout.read, stderr.read].forEach { close($0) }
            throw error
        }
        defer { [stdout.read, stderr.read].forEach { close($0) } }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var outputs = [Data(), Data()]
        let drained = Self.drain([stdout.read, stderr.read], into: &outputs, until: deadline)
        var timedOut = !drained
        if !timedOut, let deadline {
            timedOut = reaper.wait(timeout: max(.zero, deadline - ContinuousClock.now)) == nil
        }
        if timedOut { reaper.send(SIGKILL) }
        return Output(termination: reaper.wait(), stdout: outputs[0], stderr: outputs[1], timedOut: timedOut)
    }

    /// Starts the program with the given output destinations and standard input from
    /// ``input`` (fed by a thread of its own) or `/dev/null`. The write ends passed in are
    /// closed here once the child has its copies (also when it could not start).
    func launch(output: Stream, error: Stream)
        throws(OutpostError) -> ChildReaper
    {
        var written: [Int32] = []
        for case .descriptor(let descriptor) in [output, error] where !written.contains(descriptor) {
            written.append(descriptor)
        }
        defer { written.forEach { close($0) } }
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw OutpostError(
                .notFound,
                "Cannot run \(executable): there is no executable program at that path.",
                details: ["program": executable]
            )
        }
        let stdin = try input.map { _ throws(OutpostError) in try Self.makePipe() }
        let pid: pid_t
        do {
            pid = try Self.spawn(
                executable,
                arguments,
                environment: environment ?? ProcessInfo.processInfo.environment,
                workingDirectory: workingDirectory,
                input: stdin.map { .descriptor($0.read) } ?? .null,
                output: output,
                error: error
            )
        } catch {
            if let stdin { [stdin.read, stdin.write].forEach { close($0) } }
            throw error
        }
        if let stdin, let input {
            close(stdin.read)
            Self.feed(input, to: stdin.write)
        }
        return ChildReaper(pid: pid)
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
