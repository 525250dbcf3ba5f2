import Dispatch
import OutpostCore
import OutpostStore
import Synchronization

/// How a run's `executions` row gets written: its start beside its first step, on another
/// thread (the row says `running` within moments, and a one-step run costs the runner one
/// write, not two), then each step's progress and its end, in order, from the run itself. An
/// end that comes before the start was written takes its place; a crash before either leaves
/// the run's lock file, which holds the run as it started (``RunLock``).
final class RunRecord: Sendable {
    private struct State {
        var written = false
        var ended = false
    }

    private let store: Store
    private let state: Mutex<State>
    /// Where start rows are written: a queue of its own (its thread is not one of the global
    /// pool's, which a busy process can keep occupied for seconds), one write at a time as
    /// SQLite takes them anyway.
    private static let startWrites = DispatchQueue(label: "outpost.runner.start-writes")

    /// - Parameter written: whether the row is there already (a queued run).
    init(store: Store, written: Bool) {
        self.store = store
        state = Mutex(State(written: written))
    }

    /// Writes the row as the run starts, on another thread, unless something is written first.
    func writeStart(_ execution: Execution) {
        Self.startWrites.async { [self] in
            state.withLock { state in
                guard !state.written, !state.ended else { return }
                // A failure here is the end's to report: it writes the whole row again.
                state.written = (try? store.saveExecution(execution)) != nil
            }
        }
    }

    /// Writes the run's progress (`ended` false) or its end. Waits for a start write in flight,
    /// so the row's last state is always the run's.
    func write(_ execution: Execution, ended: Bool) throws(OutpostError) {
        try state.withLock { state throws(OutpostError) in
            if ended { state.ended = true }
            try store.saveExecution(execution)
            state.written = true
        }
    }
}
