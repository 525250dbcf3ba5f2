package import Foundation
package import OutpostCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ChildProcess {
    /// Runs the program in a process group of its own and ends the whole group when the
    /// program exits or the timeout passes, so nothing it started outlives it.
    ///
    /// The child starts with default signal handling and an empty signal mask (a service that
    /// ignores SIGTERM for its own shutdown must not pass that on), standard input from
    /// ``input`` or `/dev/null`, and ``workingDirectory``. Each output keeps its first
    /// `outputLimit` bytes; the rest is read and dropped, so a chatty child never blocks.
    /// A program named without a `/` is looked up in the child's `PATH`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when the program cannot be started.
    package func runAsGroup(timeout: Duration, outputLimit: Int) throws(OutpostError) -> GroupOutput {
        let environment = self.environment ?? ProcessInfo.processInfo.environment
        let program = try Self.locate(executable, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        let stdoutPipe = try Self.makePipe()
        let stderrPipe = try Self.makePipe()
        let stdinPipe = try input.map { _ throws(OutpostError) in try Self.makePipe() }
        let pid: pid_t
        do {
            pid = try Self.spawn(
                program,
                arguments,
                environment: environment,
                workingDirectory: workingDirectory,
                input: stdinPipe.map { .descriptor($0.read) } ?? .null,
                output: .descriptor(stdoutPipe.write),
                error: .descriptor(stderrPipe.write),
                ownGroup: true
            )
            close(stdoutPipe.write)
            close(stderrPipe.write)
            if let stdinPipe { close(stdinPipe.read) }
        } catch {
            [stdoutPipe.read, stdoutPipe.write, stderrPipe.read, stderrPipe.write].forEach { close($0) }
            if let stdinPipe { [stdinPipe.read, stdinPipe.write].forEach { close($0) } }
            throw error
        }
        if let input, let stdinPipe { Self.feed(input, to: stdinPipe.write) }
        let deadline = ContinuousClock.now + timeout
        var collected = GroupCollector(limit: outputLimit)
        var status: Int32 = 0
        var exited = false
        let descriptors = [stdoutPipe.read, stderrPipe.read]
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        // A descriptor that becomes readable when the program exits (Linux 5.3 and later): the
        // wait wakes at the exit itself instead of polling for it.
        let exitDescriptor = Self.openPidDescriptor?(pid, 0) ?? -1
        defer { if exitDescriptor >= 0 { close(exitDescriptor) } }
        while !exited {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            var waiting = descriptors.indices.filter { open[$0] }.map {
                pollfd(fd: descriptors[$0], events: Int16(POLLIN), revents: 0)
            }
            if exitDescriptor >= 0 { waiting.append(pollfd(fd: exitDescriptor, events: Int16(POLLIN), revents: 0)) }
            // Without an exit descriptor, wake at least every 50 ms to notice an exit while a
            // descendant holds a pipe open; once both pipes are closed the program has almost
            // surely ended, so look often.
            let milliseconds =
                exitDescriptor >= 0
                ? Int32(min(Int64(Int32.max), max(1, left.milliseconds))) : Int32(min(50, max(1, left.milliseconds)))
            if waiting.isEmpty {
                if waitpid(pid, &status, WNOHANG) == pid {
                    exited = true
                    break
                }
                usleep(500)
                continue
            } else if poll(&waiting, nfds_t(waiting.count), milliseconds) > 0 {
                for entry in waiting where entry.revents != 0 && entry.fd != exitDescriptor {
                    let slot = descriptors.firstIndex(of: entry.fd)!
                    let count = read(entry.fd, &buffer, buffer.count)
                    if count > 0 {
                        collected.append(buffer[..<count], to: slot)
                    } else if count == 0 || errno != EINTR {
                        open[slot] = false
                    }
                }
            }
            if waitpid(pid, &status, WNOHANG) == pid { exited = true }
        }
        // Whatever the program left in the pipes when it ended is still its output.
        for slot in descriptors.indices where open[slot] {
            let flags = fcntl(descriptors[slot], F_GETFL)
            _ = fcntl(descriptors[slot], F_SETFL, flags | O_NONBLOCK)
            while true {
                let count = read(descriptors[slot], &buffer, buffer.count)
                guard count > 0 else { break }
                collected.append(buffer[..<count], to: slot)
            }
        }
        // The group goes: on a timeout with the program, after an exit whatever it left running.
        killpg(pid, SIGKILL)
        if !exited {
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        }
        descriptors.forEach { close($0) }
        return GroupOutput(
            termination: Self.termination(fromWaitStatus: status),
            stdout: collected.outputs[0],
            stderr: collected.outputs[1],
            truncated: collected.truncated,
            timedOut: !exited
        )
    }

    /// What ``runAsGroup(timeout:outputLimit:)`` collected.
    package struct GroupOutput: Sendable {
        package var termination: Termination
        package var stdout: Data
        package var stderr: Data
        /// Whether either output was longer than the limit (and was cut).
        package var truncated: Bool
        /// The timeout passed and the group was killed.
        package var timedOut: Bool
    }

    /// glibc's `pidfd_open` (2.36 and later), looked up at run time; `nil` on an older C library.
    private static let openPidDescriptor: (@convention(c) (pid_t, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pidfd_open") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pid_t, UInt32) -> Int32).self)
    }()

    /// The absolute path of `name`: itself when it has a `/`, else the first match in `path`.
    static func locate(_ name: String, path: String) throws(OutpostError) -> String {
        if name.contains("/") { return name }
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw OutpostError(
            .notFound,
            "Cannot run \(name): no program of that name in PATH (\(path)).",
            details: ["program": name]
        )
    }
}

/// Both outputs of a child, each kept up to a limit.
private struct GroupCollector {
    let limit: Int
    var outputs = [Data(), Data()]
    var truncated = false

    init(limit: Int) { self.limit = limit }

    mutating func append(_ bytes: ArraySlice<UInt8>, to slot: Int) {
        let room = limit - outputs[slot].count
        if bytes.count > room { truncated = true }
        if room > 0 { outputs[slot].append(contentsOf: bytes.prefix(room)) }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
