public import AsyncHTTPClient
import Foundation
public import Logging
public import OutpostBlobs
public import OutpostCore
public import OutpostStore

/// Runs workflows on the node, with no network needed: the Workflow Processor.
///
/// Every run is an `executions` row, written as it goes (queued → running → completed |
/// failed | interrupted) with each step's result, so it syncs like any row and a failed run
/// reaches the hub first (failed runs are captured at critical priority). A run belongs to
/// the process that runs it through a ``RunLock``; ``recoverInterrupted()`` finds the runs
/// whose process died and marks them `interrupted`, retrying those stopped at a step the
/// definition calls `repeatable`.
///
/// ```swift
/// let runner = WorkflowRunner(store: store, files: files, runsDirectory: home + "/runs")
/// let execution = try await runner.run(workflowID: "wf-1", input: ["site": "berlin"])
/// print(execution.status, execution.outputData ?? .null)
/// ```
public final class WorkflowRunner: Sendable {
    public let store: Store
    public let files: FileStore?
    public let executors: StepExecutors
    let runsDirectory: String
    let logger: Logger
    let httpClient: HTTPClient
    /// Waits between tries of a step; tests pass one that records the delays instead.
    let sleep: @Sendable (Duration) async throws -> Void
    /// Where run durations are recorded, if anywhere.
    let metrics: RunMetrics?
    /// Fetches a file's content from the hub for `file` steps, when the node has a hub.
    let fetchFile: (@Sendable (String) async throws -> Void)?
    /// Definitions parsed, by their stored text: a run parses only a definition it has not
    /// seen, since parsing costs more than a no-op step.
    let definitions = DefinitionCache()

    /// How deep `workflow` steps may nest (a workflow that runs itself stops here).
    public static let maximumDepth = 8
    /// Extra time a step that does not end itself at its timeout gets before its try is
    /// abandoned (``StepExecutor/enforcesTimeout``).
    static let timeoutGrace = Duration.seconds(2)

    /// - Parameters:
    ///   - runsDirectory: where run locks live (`HOME/runs`).
    ///   - logger: where runs are logged; nowhere by default.
    ///   - sleep: waits between tries; `Task.sleep` by default.
    public init(
        store: Store,
        files: FileStore?,
        runsDirectory: String,
        executors: StepExecutors = .builtIn,
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "outpost.runner", factory: { _ in SwiftLogNoOpLogHandler() }),
        metrics: RunMetrics? = nil,
        fetchFile: (@Sendable (String) async throws -> Void)? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.metrics = metrics
        self.fetchFile = fetchFile
        self.store = store
        self.files = files
        self.runsDirectory = runsDirectory
        self.executors = executors
        self.httpClient = httpClient
        self.logger = logger
        self.sleep = sleep
    }

    /// Records a queued run of the workflow on this node; ``run(executionID:)`` runs it.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown workflow.
    public func enqueue(workflowID: String, input: JSONValue? = nil) async throws(OutpostError) -> Execution {
        _ = try store.requireWorkflow(id: workflowID)
        var ids = UUIDv7()
        let execution = Execution(
            id: ids.next(),
            workflowID: workflowID,
            status: ExecutionStatus.queued.rawValue,
            inputData: input,
            nodeID: store.nodeID
        )
        try await store.recordExecution(execution)
        return execution
    }

    /// Records and runs a workflow now, in this process, and returns the finished execution
    /// (a failed run is returned, not thrown: its row says why). The run is recorded as
    /// `running` from its first write.
    public func run(workflowID: String, input: JSONValue? = nil) async throws(OutpostError) -> Execution {
        try await RunExecutor.run { () async throws(OutpostError) in
            try await self.run(workflowID: workflowID, input: input, depth: 0)
        }
    }

    private func run(workflowID: String, input: JSONValue?, depth: Int) async throws(OutpostError) -> Execution {
        var ids = UUIDv7()
        let id = ids.next()
        let execution = Execution(
            id: id,
            workflowID: workflowID,
            status: ExecutionStatus.running.rawValue,
            inputData: input,
            startedAt: Self.timestamp(),
            nodeID: store.nodeID
        )
        // The lock file holds the run as it starts: a crash before its row is written is found.
        guard let lock = try RunLock.take(id, in: runsDirectory, record: Self.startRecord(of: execution)) else {
            throw OutpostError(.failedPrecondition, "Execution \(id) is being run by another process.")
        }
        defer { lock.release() }
        let workflow = try store.runnableWorkflow(id: workflowID)
        let row = RunRecord(store: store, written: false)
        row.writeStart(execution)
        return try await perform(execution, workflow: workflow, row: row, depth: depth)
    }

    /// What a run's lock file holds: the run as it started.
    static func startRecord(of execution: Execution) -> String {
        JSONValue.object([
            "id": .string(execution.id), "workflow_id": .string(execution.workflowID),
            "input": execution.inputData ?? .null, "started_at": execution.startedAt.map(JSONValue.string) ?? .null,
            "node_id": execution.nodeID.map(JSONValue.string) ?? .null,
        ]).encoded()
    }

    /// The run a lock file's record describes, still `running`; nil for anything else.
    static func startedRun(from record: String) -> Execution? {
        guard let value = try? JSONValue(parsing: record), let id = value["id"]?.stringValue,
            let workflowID = value["workflow_id"]?.stringValue
        else { return nil }
        let input: JSONValue? = if let given = value["input"], given != .null { given } else { nil }
        return Execution(
            id: id,
            workflowID: workflowID,
            status: ExecutionStatus.running.rawValue,
            inputData: input,
            startedAt: value["started_at"]?.stringValue,
            nodeID: value["node_id"]?.stringValue
        )
    }

    /// Runs a queued execution to its end.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown execution, `.failedPrecondition`
    ///   when it is not queued or another process runs it.
    public func run(executionID: String) async throws(OutpostError) -> Execution {
        try await RunExecutor.run { () async throws(OutpostError) in try await self.runQueued(executionID) }
    }

    private func runQueued(_ executionID: String) async throws(OutpostError) -> Execution {
        guard let lock = try RunLock.take(executionID, in: runsDirectory) else {
            throw OutpostError(
                .failedPrecondition,
                "Execution \(executionID) is being run by another process.",
                details: ["execution_id": executionID]
            )
        }
        defer { lock.release() }
        var execution = try store.requireExecution(id: executionID)
        guard execution.status == ExecutionStatus.queued.rawValue else {
            throw OutpostError(
                .failedPrecondition,
                "Execution \(executionID) is \(execution.status), not queued; only a queued run can start.",
                details: ["execution_id": executionID]
            )
        }
        execution.status = ExecutionStatus.running.rawValue
        execution.startedAt = Self.timestamp()
        execution.nodeID = store.nodeID
        try store.updateExecution(execution)
        let workflow: RunnableWorkflow?
        do {
            workflow = try store.runnableWorkflow(id: execution.workflowID)
        } catch  where error.code == .notFound {
            workflow = nil
        }
        return try await perform(execution, workflow: workflow, row: RunRecord(store: store, written: true), depth: 0)
    }

    /// Runs the steps of a `running` run, writing its row after each step but the last (the
    /// end writes that one with the run's status) through `row`, which writes the start beside
    /// the first step: a one-step run costs the runner one write. Called on the run's
    /// ``RunExecutor``, so its writes wait synchronously.
    private func perform(
        _ running: Execution,
        workflow found: RunnableWorkflow?,
        row: RunRecord,
        depth: Int
    ) async throws(OutpostError) -> Execution {
        var execution = running
        let started = ContinuousClock.now
        logger.info(
            "Run started",
            metadata: ["runner.execution": "\(execution.id)", "runner.workflow": "\(execution.workflowID)"]
        )

        func finish(_ status: ExecutionStatus, error: String?) async throws(OutpostError) -> Execution {
            execution.status = status.rawValue
            execution.errorMessage = error
            execution.completedAt = Self.timestamp()
            execution.durationMilliseconds = Int((ContinuousClock.now - started).milliseconds)
            try row.write(execution, ended: true)
            metrics?.record(ContinuousClock.now - started)
            if let agentID = found?.agentID {
                AgentManager(store: store, logger: logger).recordRun(of: agentID, ended: execution)
            }
            logger.log(
                level: status == .completed ? .info : .notice,
                "Run ended",
                metadata: [
                    "runner.execution": "\(execution.id)", "runner.status": "\(status.rawValue)",
                    "runner.error": "\(error ?? "")",
                ]
            )
            return execution
        }

        let workflow: RunnableWorkflow
        let definition: WorkflowDefinition
        do {
            guard let found else {
                return try await finish(.failed, error: "Workflow \(execution.workflowID) is gone.")
            }
            workflow = found
            guard let text = workflow.definitionText else {
                return try await finish(.failed, error: "Workflow \(workflow.id) has no definition to run.")
            }
            definition = try definitions.definition(text, executors: executors)
        } catch {
            return try await finish(.failed, error: error.message)
        }
        let agentConfig = workflow.agentConfig

        var scope: [String: JSONValue] = [
            "input": execution.inputData ?? .object([:]),
            "execution": ["id": .string(execution.id), "workflow_id": .string(workflow.id)],
            "node": ["id": .string(store.nodeID)],
            "steps": .object([:]),
        ]
        var results: [JSONValue] = []
        var failure: String?
        var lastOutput: JSONValue = .null

        func record(_ result: StepOutcome, last: Bool = false) async throws(OutpostError) {
            results.append(result.json)
            if case .object(var steps)? = scope["steps"] {
                steps[result.id] = ["output": result.output ?? .null, "status": .string(result.status.rawValue)]
                scope["steps"] = .object(steps)
            }
            execution.stepResults = .array(results)
            if !last { try row.write(execution, ended: false) }
        }

        for (index, step) in definition.steps.enumerated() {
            let outcome = await attempt(
                step,
                scope: scope,
                execution: execution,
                agentConfig: agentConfig,
                depth: depth
            )
            let compensates: Bool = if case .compensate = step.onFailure { outcome.status == .failed } else { false }
            try await record(outcome, last: index == definition.steps.count - 1 && !compensates)
            guard outcome.status == .failed else {
                lastOutput = outcome.output ?? .null
                continue
            }
            switch step.onFailure {
            case .continue:
                continue
            case .stop:
                failure = "Step \(step.id) failed: \(outcome.error ?? "")"
            case .compensate(let compensationID):
                failure = "Step \(step.id) failed: \(outcome.error ?? "")"
                if let compensation = definition.compensations.first(where: { $0.id == compensationID }) {
                    let compensated = await attempt(
                        compensation,
                        scope: scope,
                        execution: execution,
                        agentConfig: agentConfig,
                        depth: depth
                    )
                    try await record(compensated, last: true)
                    if compensated.status == .failed {
                        failure! += "; its compensation \(compensation.id) failed too: \(compensated.error ?? "")"
                    }
                }
            }
            break
        }
        if let failure { return try await finish(.failed, error: failure) }
        if let template = definition.output {
            do {
                lastOutput = try Template(scope: scope).resolve(template)
            } catch {
                return try await finish(.failed, error: "The definition's output: \(error.message)")
            }
        }
        execution.outputData = lastOutput
        return try await finish(.completed, error: nil)
    }

    /// One step with its tries: references filled in, each try bounded by the timeout, waits
    /// between tries growing by the retry policy.
    private func attempt(
        _ step: StepDefinition,
        scope: [String: JSONValue],
        execution: Execution,
        agentConfig: JSONValue?,
        depth: Int
    ) async -> StepOutcome {
        var outcome = StepOutcome(id: step.id, type: step.type, startedAt: Self.timestamp())
        let started = ContinuousClock.now
        let fields: [String: JSONValue]
        do {
            guard case .object(let resolved) = try Template(scope: scope).resolve(.object(step.fields)) else {
                preconditionFailure("an object resolves to an object")
            }
            fields = resolved
        } catch {
            outcome.fail(error.message, after: started)
            return outcome
        }
        guard let executor = executors[step.type] else {
            outcome.fail("no executor for step type '\(step.type)'", after: started)
            return outcome
        }
        let context = StepContext(
            store: store,
            files: files,
            executionID: execution.id,
            stepID: step.id,
            timeout: step.timeout,
            agentConfig: agentConfig,
            logger: logger,
            fetchFile: fetchFile,
            runWorkflow: { [self] workflowID, input in
                guard depth + 1 < Self.maximumDepth else {
                    throw StepFailure("workflows nest more than \(Self.maximumDepth) deep; does one run itself?")
                }
                return try await run(workflowID: workflowID, input: input, depth: depth + 1)
            },
            httpClient: httpClient
        )
        for attempt in 1...(step.retry.retries + 1) {
            outcome.attempts = attempt
            if attempt > 1 {
                do {
                    try await sleep(step.retry.delay(beforeAttempt: attempt))
                } catch {
                    outcome.fail("cancelled while waiting to try again", after: started)
                    return outcome
                }
            }
            do {
                outcome.output =
                    if executor.enforcesTimeout {
                        try await executor.run(fields, context: context)
                    } else {
                        try await Self.withTimeout(step.timeout + Self.timeoutGrace, step: step.id) {
                            try await executor.run(fields, context: context)
                        }
                    }
                outcome.error = nil
                outcome.status = .completed
                break
            } catch let failure as StepFailure {
                outcome.fail(failure.reason, output: failure.output, after: started)
            } catch let error as OutpostError {
                outcome.fail(error.message, after: started)
            } catch {
                outcome.fail("\(error)", after: started)
            }
            logger.info(
                "Step try failed",
                metadata: [
                    "runner.execution": "\(execution.id)", "runner.step": "\(step.id)",
                    "runner.attempt": "\(attempt)", "runner.error": "\(outcome.error ?? "")",
                ]
            )
        }
        outcome.durationMilliseconds = (ContinuousClock.now - started).milliseconds
        return outcome
    }

    /// Runs `body`, giving up with a ``StepFailure`` once `limit` has passed.
    static func withTimeout(
        _ limit: Duration,
        step: String,
        _ body: @escaping @Sendable () async throws -> JSONValue
    ) async throws -> JSONValue {
        try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw StepFailure("step \(step) did not finish within \(limit - timeoutGrace)")
            }
            return value
        }
    }

    /// The time as the store keeps run times: UTC, SQLite's format, with milliseconds
    /// (`2026-12-06 10:31:43.740`). Formatted by hand: a `DateFormatter` per call would cost more
    /// than a no-op step.
    static func timestamp(_ date: Date = Date()) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2)) "
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))"
    }
}
