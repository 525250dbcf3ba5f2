import OutpostStore
public import ServiceLifecycle

/// The runner as part of `outpost run`: at start it finds the runs a crash interrupted
/// (``WorkflowRunner/recoverInterrupted()``) and runs the retries of those that were safe to
/// repeat, then stays until the node shuts down.
public struct WorkflowService: Service {
    public let runner: WorkflowRunner

    public init(runner: WorkflowRunner) {
        self.runner = runner
    }

    public func run() async throws {
        let recovery = try await runner.recoverInterrupted()
        await withTaskGroup(of: Void.self) { group in
            for retry in recovery.retries {
                group.addTask { _ = try? await runner.run(executionID: retry.id) }
            }
        }
        try? await gracefulShutdown()
    }
}
