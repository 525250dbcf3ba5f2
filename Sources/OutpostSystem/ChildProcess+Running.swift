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
        let pipe = capturing == .nothing ? nil : Pipe()
        let collector = OutputCollector()
        let discarded = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        let ended = ExitFlag()
        let process = try launch(
            standardOutput: pipe ?? discarded,
            standardError: capturing == .everything ? pipe ?? discarded : discarded
        ) {
            ended.set()
            exited.signal()
        }
        if let pipe {
            let handle = pipe.fileHandleForReading
            DedicatedThread.startOrCrash { collector.collect(from: handle.fileDescriptor, keeping: handle) }
        } else {
            collector.finish()
        }
        return Running(process: process, collector: collector, exited: exited, ended: ended)
    }

    /// A started child: watch what it prints, stop it, wait for its end.
    package final class Running: Sendable {
        private let process: Process
        private let collector: OutputCollector
        /// Signalled once, when the child ends. Waiting on it sleeps; Foundation's
        /// `waitUntilExit()` spins a run loop at full CPU on a thread that has none, which on a
        /// two-core machine starves the very processes being waited for.
        private let exited: DispatchSemaphore
        /// Set when the termination handler has run. Signals are sent by this, not by
        /// `Process.isRunning`, which was seen to say false for a live child (a test run hung
        /// waiting for a hub that `stop()` had therefore never killed).
        private let ended: ExitFlag

        fileprivate init(process: Process, collector: OutputCollector, exited: DispatchSemaphore, ended: ExitFlag) {
            self.process = process
            self.collector = collector
            self.exited = exited
            self.ended = ended
        }

        package var processIdentifier: Int32 { process.processIdentifier }
        package var isRunning: Bool { !ended.isSet }

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
            if !ended.isSet { _ = Foundation.kill(process.processIdentifier, SIGTERM) }
        }

        /// Sends SIGKILL, when the child still runs.
        package func kill() {
            if !ended.isSet { _ = Foundation.kill(process.processIdentifier, SIGKILL) }
        }

        /// Waits for the child to end.
        @discardableResult
        package func wait() -> Termination {
            exited.wait()
            exited.signal()
            process.waitUntilExit()
            return ChildProcess.termination(of: process)
        }

        /// Waits up to `timeout` for the child to end; `nil` when it still runs.
        package func wait(timeout: Duration) -> Termination? {
            guard exited.wait(timeout: .now() + timeout.timeInterval) == .success else { return nil }
            exited.signal()
            process.waitUntilExit()
            return ChildProcess.termination(of: process)
        }

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

/// Whether a started child has ended, as its termination handler saw it.
private final class ExitFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// A started child's output, appended by a reader thread and waited on by others.
private final class OutputCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var data = Data()
    private var ended = false

    /// Reads `descriptor` to its end; `handle` owns it and is kept open until then.
    func collect(from descriptor: Int32, keeping handle: FileHandle) {
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
        withExtendedLifetime(handle) { finish() }
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
