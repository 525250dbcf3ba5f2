package import Foundation
package import OutpostCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ChildProcess {
    /// Which of a started child's outputs ``Running/output`` collects; the others go to
    /// `/dev/null`.
    package enum Capture: Sendable {
        case nothing
        case standardOutput
        /// Standard output and standard error, interleaved as the child wrote them.
        case everything
    }

    /// Starts the program and returns at once, for a child that runs until it is stopped.
    ///
    /// - Parameter capturing: what ``Running/output`` collects, drained by a thread of its own
    ///   so the child never blocks on a full pipe; nothing by default.
    /// - Throws: ``OutpostError`` `.notFound` when the program cannot be started.
    package func start(capturing: Capture = .nothing) throws(OutpostError) -> Running {
        let collector = OutputCollector()
        guard capturing != .nothing else {
            let reaper = try launch(output: .null, error: .null)
            collector.finish()
            return Running(reaper: reaper, collector: collector)
        }
        let pipe = try Self.makePipe()
        let reaper: ChildReaper
        do {
            reaper = try launch(
                output: .descriptor(pipe.write),
                error: capturing == .everything ? .descriptor(pipe.write) : .null
            )
        } catch {
            close(pipe.read)
            throw error
        }
        DedicatedThread.startOrCrash { collector.collect(from: pipe.read) }
        return Running(reaper: reaper, collector: collector)
    }

    /// Makes this process kill (SIGKILL) every child it started and that still runs when it
    /// exits: for test processes, whose servers must not outlive a run that ends before their
    /// `stop()`. Registered once, however often it is called.
    package static func killChildrenAtExit() {
        _ = registeredAtExit
    }

    private static let registeredAtExit: Void = {
        atexit { ChildReaper.killRunning() }
    }()

    /// A started child: watch what it prints, stop it, wait for its end.
    package final class Running: Sendable {
        /// Waits for the child; signals are sent through it, so none reaches a process id the
        /// system has given to another process since.
        private let reaper: ChildReaper
        private let collector: OutputCollector

        fileprivate init(reaper: ChildReaper, collector: OutputCollector) {
            self.reaper = reaper
            self.collector = collector
        }

        package var processIdentifier: Int32 { reaper.pid }
        package var isRunning: Bool { reaper.termination == nil }

        /// What the child printed so far (what ``start(capturing:)`` asked for).
        package var output: String { collector.text { $0 } }

        /// Waits until `match` finds something in the output, and returns it; `nil` when the
        /// output ends (the child closed it or exited) or `timeout` passes first.
        package func waitForOutput<Found>(timeout: Duration, _ match: (String) -> Found?) -> Found? {
            collector.wait(until: Date().addingTimeInterval(timeout.timeInterval), match)
        }

        /// Waits until the output holds `marker` followed by a whole port number (something
        /// follows its last digit), as a server prints once it listens; `nil` as for
        /// ``waitForOutput(timeout:_:)``.
        package func waitForPort(after marker: String, timeout: Duration) -> Int? {
            waitForOutput(timeout: timeout) { text -> Int? in
                guard let found = text.range(of: marker) else { return nil }
                let rest = text[found.upperBound...]
                let digits = rest.prefix { $0.isNumber }
                return digits.count < rest.count ? Int(digits) : nil
            }
        }

        /// Sends SIGTERM, when the child still runs.
        package func terminate() {
            reaper.send(SIGTERM)
        }

        /// Sends SIGKILL, when the child still runs.
        package func kill() {
            reaper.send(SIGKILL)
        }

        /// Waits for the child to end.
        @discardableResult
        package func wait() -> Termination { reaper.wait() }

        /// Waits up to `timeout` for the child to end; `nil` when it still runs.
        package func wait(timeout: Duration) -> Termination? { reaper.wait(timeout: timeout) }

        /// Asks the child to stop (SIGTERM) and waits up to `grace` for it, then kills it
        /// (SIGKILL): a child that ignores SIGTERM cannot hold its parent forever.
        @discardableResult
        package func stop(grace: Duration = .seconds(15)) -> Termination {
            terminate()
            if let termination = wait(timeout: grace) { return termination }
            kill()
            return wait()
        }
    }
}

/// A started child's output, appended by a reader thread and waited on by others.
private final class OutputCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var data = Data()
    private var ended = false

    /// Reads `descriptor` to its end, then closes it.
    func collect(from descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            condition.lock()
            data.append(contentsOf: buffer[..<count])
            condition.broadcast()
            condition.unlock()
        }
        close(descriptor)
        finish()
    }

    func finish() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    func text<Result>(_ body: (String) -> Result) -> Result {
        condition.lock()
        defer { condition.unlock() }
        return body(String(decoding: data, as: UTF8.self))
    }

    func wait<Found>(until deadline: Date, _ match: (String) -> Found?) -> Found? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let found = match(String(decoding: data, as: UTF8.self)) { return found }
            if ended || !condition.wait(until: deadline) { return nil }
        }
    }
}
