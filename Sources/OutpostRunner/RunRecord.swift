import Dispatch
import Foundation
import OutpostCore
import OutpostStore

/// How a run's `executions` row gets written: its start beside its first step, on another
/// thread (the row says `running` within moments, and a one-step run costs the runner one
/// write, not two), then each step's progress and its end, in order, from the run itself. An
/// end that comes before the start was written takes its place; a crash before either leaves
/// the run's lock file, which holds the run as it started (``RunLock``).
final class RunRecord: @unchecked Sendable {
    private let store: Store
    /// Guards `written` and `ended`, and orders the writes. A plain mutex: `Synchronization`'s
    /// `Mutex` takes a priority-inheriting futex on Linux, whose contended path (the run's end
    /// waiting for its start write) cost more than the write itself.
    private let lock = NSLock()
    private var written: Bool
    private var ended = false
    /// Where start rows are written: a queue of its own (its thread is not one of the global
    /// pool's, which a busy process can keep occupied for seconds), one write at a time as
    /// SQLite takes them anyway.
    private static let startWrites = DispatchQueue(label: "outpost.runner.start-writes")

    /// - Parameter written: whether the row is there already (a queued run).
    init(store: Store, written: Bool) {
        self.store = store
        self.written = written
    }

    /// Writes the row as the run starts, on another thread, unless something is written first.
    func writeStart(_ execution: Execution) {
        Self.startWrites.async { [self] in
            lock.lock()
            defer { lock.unlock() }
            guard !written, !ended else { return }
            // A failure here is the end's to report: it writes the whole row again.
            written = (try? store.saveExecution(execution)) != nil
        }
    }

    /// Writes the run's progress (`ended` false) or its end. Waits for a start write in flight,
    /// so the row's last state is always the run's.
    func write(_ execution: Execution, ended: Bool) throws(OutpostError) {
        lock.lock()
        defer { lock.unlock() }
        if ended { self.ended = true }
        try store.saveExecution(execution)
        written = true
    }
}
