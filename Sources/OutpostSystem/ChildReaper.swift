import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Waits for one started child on a thread of its own and keeps how it ended, for any number
/// of waiters: the child is reaped as soon as it exits (no zombie), and waiting sleeps rather
/// than spinning a run loop as Foundation's `waitUntilExit()` does on a thread without one.
final class ChildReaper: Sendable {
    /// The child's process id.
    let pid: pid_t
    private let ending = Mutex<ChildProcess.Termination?>(nil)
    /// Signalled when the child has ended; every waiter signals it again for the next.
    private let ended = DispatchSemaphore(value: 0)

    /// Children started and not yet reaped, for ``killRunning()``.
    private static let running = Mutex<Set<pid_t>>([])

    /// Starts reaping `pid`.
    init(pid: pid_t) {
        self.pid = pid
        _ = Self.running.withLock { $0.insert(pid) }
        DedicatedThread.startOrCrash { [self] in
            // Wait for the exit without reaping, then reap under the lock `send` takes: until
            // `termination` is set the process id cannot have been given to another process.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0, errno == EINTR {}
            _ = Self.running.withLock { $0.remove(pid) }
            ending.withLock { ending in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                ending = ChildProcess.termination(fromWaitStatus: status)
            }
            ended.signal()
        }
    }

    /// How the child ended; `nil` while it runs.
    var termination: ChildProcess.Termination? { ending.withLock { $0 } }

    /// Waits for the child to end.
    func wait() -> ChildProcess.Termination {
        ended.wait()
        ended.signal()
        return termination!
    }

    /// Waits up to `timeout` for the child to end; `nil` when it still runs.
    func wait(timeout: Duration) -> ChildProcess.Termination? {
        guard ended.wait(timeout: .now() + timeout.timeInterval) == .success else { return nil }
        ended.signal()
        return termination
    }

    /// Kills (SIGKILL) every child started here that has not ended. A child leaves the set
    /// before it is reaped, so no signal reaches a process id given to another process.
    static func killRunning() {
        Self.running.withLock { running in
            for pid in running { kill(pid, SIGKILL) }
        }
    }

    /// Sends `signal` to the child, when it has not been reaped.
    func send(_ signal: Int32) {
        ending.withLock { ending in
            if ending == nil { _ = kill(pid, signal) }
        }
    }
}
