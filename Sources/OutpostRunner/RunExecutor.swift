import Dispatch
import OutpostCore
import Synchronization

/// Where a workflow run's code runs: a serial dispatch queue of its own, off Swift's
/// cooperative pool.
///
/// A run waits on things that hold a thread — its store writes, taken synchronously (cheaper
/// than hopping to GRDB's writer queue and back, which costs two thread wake-ups per write),
/// and the programs its `command` steps start. The cooperative pool has one thread per core,
/// shared with the node's sync, its metrics and the other runs, so a run must never hold one
/// of those; on its own queue it may.
final class RunExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "outpost.run")

    /// Executors of runs that ended, for the next runs: a run takes one no other run holds.
    private static let idle = Mutex<[RunExecutor]>([])

    /// Whether the current task runs on a run's executor, where a blocking wait is allowed.
    @TaskLocal static var isCurrent = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Runs `body` on an executor of its own (and its child tasks with it), unless the task
    /// already runs on one: a nested workflow keeps its parent's.
    static func run<Value: Sendable>(
        _ body: @Sendable () async throws(OutpostError) -> Value
    ) async throws(OutpostError) -> Value {
        if isCurrent { return try await body() }
        let executor = idle.withLock { $0.popLast() } ?? RunExecutor()
        defer { idle.withLock { if $0.count < 16 { $0.append(executor) } } }
        let result: Result<Value, OutpostError> = await withTaskExecutorPreference(executor) {
            await $isCurrent.withValue(true) {
                do throws(OutpostError) {
                    return .success(try await body())
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }
}
