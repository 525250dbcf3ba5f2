import Logging
public import OutpostCore
public import OutpostStore

extension WorkflowRunner {
    /// What ``recoverInterrupted()`` found.
    public struct Recovery: Sendable, Equatable {
        /// Runs whose process died mid-run, now `interrupted`.
        public var interrupted: [Execution] = []
        /// New queued runs made for interrupted runs that were safe to repeat; run them with
        /// ``run(executionID:)``.
        public var retries: [Execution] = []

        public init(interrupted: [Execution] = [], retries: [Execution] = []) {
            self.interrupted = interrupted
            self.retries = retries
        }
    }

    /// Finds this node's runs still marked `running` whose process is gone (its run lock is
    /// free), marks each `interrupted` (a final status, which syncs at critical priority), and
    /// queues a new run with the same input when every step up to and including the one it
    /// stopped at is `repeatable`: a run is never lost, and a step is never run twice unless
    /// its definition says that is harmless. A run whose process is alive is left alone.
    public func recoverInterrupted() async throws(OutpostError) -> Recovery {
        try await RunExecutor.run { () async throws(OutpostError) in try await self.recover() }
    }

    private func recover() async throws(OutpostError) -> Recovery {
        var recovery = Recovery()
        for found in try store.executions(status: ExecutionStatus.running.rawValue, nodeID: store.nodeID) {
            guard let lock = try RunLock.take(found.id, in: runsDirectory) else { continue }
            defer { lock.release() }
            try interrupt(found, into: &recovery)
        }
        // Runs whose process died before their row was written: only their lock file knows.
        for lock in try RunLock.leftBehind(in: runsDirectory) {
            guard let record = lock.record, let started = Self.startedRun(from: record) else {
                // Empty: a run in another process may be between making its file and writing it.
                lock.release(removingFile: false)
                continue
            }
            defer { lock.release() }
            guard (try? store.requireExecution(id: started.id)) == nil else { continue }
            try interrupt(started, into: &recovery)
        }
        return recovery
    }

    /// Marks `found` interrupted (writing its row, or making it), queueing a new run when every
    /// step up to the one it stopped at is repeatable.
    private func interrupt(_ found: Execution, into recovery: inout Recovery) throws(OutpostError) {
        var execution = found
        let finished =
            execution.stepResults.flatMap { if case .array(let items) = $0 { items.count } else { nil } } ?? 0
        let definition = try? store.requireWorkflow(id: execution.workflowID).definition.map {
            value throws(OutpostError) in try WorkflowDefinition(parsing: value, executors: executors)
        }
        let steps = definition?.steps ?? []
        let stoppedAt = steps.indices.contains(finished) ? steps[finished].id : nil
        execution.status = ExecutionStatus.interrupted.rawValue
        execution.completedAt = Self.timestamp()
        execution.errorMessage =
            "The process running it ended mid-run"
            + (stoppedAt.map { " at step \($0)" } ?? "") + "; it was not finished."
        let repeatable = steps.indices.contains(finished) && steps[...finished].allSatisfy { $0.repeatable }
        if repeatable {
            var ids = UUIDv7()
            let retry = Execution(
                id: ids.next(),
                workflowID: execution.workflowID,
                status: ExecutionStatus.queued.rawValue,
                inputData: execution.inputData,
                nodeID: store.nodeID
            )
            try store.recordExecution(retry)
            execution.errorMessage! += " Every step so far is repeatable, so it runs again as \(retry.id)."
            execution.outputData = ["retried_as": .string(retry.id)]
            recovery.retries.append(retry)
        }
        try store.saveExecution(execution)
        recovery.interrupted.append(execution)
        logger.warning(
            "Found an interrupted run",
            metadata: ["runner.execution": "\(execution.id)", "runner.retried": "\(repeatable)"]
        )
    }
}
