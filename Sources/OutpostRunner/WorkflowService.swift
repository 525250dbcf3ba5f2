import AsyncAlgorithms
public import Foundation
import Logging
public import OutpostCore
public import OutpostStore
public import ServiceLifecycle
import Synchronization

/// The runner as part of `outpost run`: the Agent Manager and the schedules.
///
/// At start it finds the runs a crash interrupted (``WorkflowRunner/recoverInterrupted()``)
/// and runs the retries of those that were safe to repeat. Then, every second, it starts the
/// workflows that are due: only workflows that are `active`, of agents that are `active` and
/// assigned to this node (`agents.node_id`), by their `schedule` or their `on_insert` trigger.
/// At most `maximumConcurrentRuns` runs go at once on the node, and at most the agent's
/// `config.max_concurrent_runs` (1 by default) per agent.
public struct WorkflowService: Service {
    public let runner: WorkflowRunner
    public let maximumConcurrentRuns: Int
    private let state: State

    public init(runner: WorkflowRunner, maximumConcurrentRuns: Int = 4) {
        self.runner = runner
        self.maximumConcurrentRuns = max(1, maximumConcurrentRuns)
        state = State()
    }

    /// Rows an insert trigger reads per pass.
    static let insertBatch = 100

    public func run() async throws {
        let recovery = try await runner.recoverInterrupted()
        await withTaskGroup(of: Void.self) { group in
            for retry in recovery.retries {
                group.addTask { _ = try? await runner.run(executionID: retry.id) }
            }
            for await _ in AsyncTimerSequence(interval: .seconds(1), clock: .continuous).cancelOnGracefulShutdown() {
                let planned: [PlannedRun]
                do {
                    planned = try await tick(now: Date())
                } catch {
                    runner.logger.warning("Could not plan runs", metadata: ["runner.error": "\(error)"])
                    continue
                }
                for run in planned {
                    group.addTask { await runPlanned(run) }
                }
            }
        }
    }

    /// A run the service decided to start, already recorded as queued.
    public struct PlannedRun: Sendable, Equatable {
        public var execution: Execution
        public var agentID: String
    }

    /// One pass at `now`: records a queued run for each due schedule and each new matching
    /// row, within the concurrency limits, and returns them; ``runPlanned(_:)`` runs each.
    public func tick(now: Date) async throws(OutpostError) -> [PlannedRun] {
        let store = runner.store
        let agents = try store.agents(status: "active").filter { $0.nodeID == store.nodeID }
        var schedules: [String: Schedule] = [:]
        var triggers: [(workflow: Workflow, trigger: InsertTrigger, agent: Agent)] = []
        var agentOf: [String: Agent] = [:]
        for agent in agents {
            for workflow in try store.workflows(agentID: agent.id, status: "active") {
                guard let definition = state.definition(of: workflow, executors: runner.executors) else { continue }
                agentOf[workflow.id] = agent
                if let schedule = definition.schedule { schedules[workflow.id] = schedule }
                if let trigger = definition.onInsert { triggers.append((workflow, trigger, agent)) }
            }
        }
        var planned: [PlannedRun] = []
        for workflowID in state.due(schedules, now: now) {
            guard let agent = agentOf[workflowID],
                state.reserve(agent: agent.id, limit: limit(of: agent), total: maximumConcurrentRuns)
            else {
                runner.logger.info(
                    "Skipped a scheduled run: its agent is at its limit",
                    metadata: ["runner.workflow": "\(workflowID)"]
                )
                continue
            }
            planned.append(PlannedRun(execution: try await runner.enqueue(workflowID: workflowID), agentID: agent.id))
        }
        for (workflow, trigger, agent) in triggers {
            planned += try await fire(trigger, of: workflow, agent: agent)
        }
        return planned
    }

    /// Runs a planned run to its end and frees its place.
    public func runPlanned(_ run: PlannedRun) async {
        defer { state.release(agent: run.agentID) }
        do {
            _ = try await runner.run(executionID: run.execution.id)
        } catch {
            runner.logger.warning(
                "A planned run did not start",
                metadata: ["runner.execution": "\(run.execution.id)", "runner.error": "\(error)"]
            )
        }
    }

    /// When each scheduled workflow is next due, soonest first.
    public var upcoming: [(workflowID: String, at: Date)] { state.upcoming }

    /// New rows of the trigger's table since its cursor: a run for each that matches, as far as
    /// the limits allow; the cursor moves past the rows handled, so none is lost or fired twice.
    private func fire(_ trigger: InsertTrigger, of workflow: Workflow, agent: Agent) async throws(OutpostError)
        -> [PlannedRun]
    {
        let store = runner.store
        guard let cursor = try await store.runnerCursor(workflowID: workflow.id), cursor.table == trigger.table else {
            // First sight (or a new table): start after the rows already there.
            let last = try await store.lastRowID(of: trigger.table)
            try await store.setRunnerCursor(workflowID: workflow.id, table: trigger.table, rowid: last)
            return []
        }
        var planned: [PlannedRun] = []
        var handled = cursor.rowid
        for (rowid, row) in try await store.rows(of: trigger.table, afterRowID: cursor.rowid, limit: Self.insertBatch) {
            if trigger.condition?.matches(row) ?? true {
                guard state.reserve(agent: agent.id, limit: limit(of: agent), total: maximumConcurrentRuns) else {
                    break
                }
                let input: JSONValue = ["table": .string(trigger.table), "row": .object(row)]
                planned.append(
                    PlannedRun(
                        execution: try await runner.enqueue(workflowID: workflow.id, input: input),
                        agentID: agent.id
                    )
                )
            }
            handled = rowid
        }
        if handled != cursor.rowid {
            try await store.setRunnerCursor(workflowID: workflow.id, table: trigger.table, rowid: handled)
        }
        return planned
    }

    private func limit(of agent: Agent) -> Int {
        if case .integer(let limit)? = agent.config?["max_concurrent_runs"], limit > 0 { return Int(limit) }
        return 1
    }

    /// What the passes share: the scheduler and the places taken, per agent and in all.
    private final class State: Sendable {
        private struct Counts {
            var scheduler = Scheduler()
            var byAgent: [String: Int] = [:]
            var total = 0
        }

        private let counts = Mutex(Counts())
        /// Definitions read so far, by workflow id, with the JSON they were read from: a pass
        /// every second parses a definition again only after it changed (however it changed:
        /// synced, applied from the workspace, or written with SQL).
        private let definitions = Mutex([String: (source: JSONValue?, definition: WorkflowDefinition?)]())

        func definition(of workflow: Workflow, executors: StepExecutors) -> WorkflowDefinition? {
            if let known = definitions.withLock({ $0[workflow.id] }), known.source == workflow.definition {
                return known.definition
            }
            let parsed = workflow.definition.flatMap { try? WorkflowDefinition(parsing: $0, executors: executors) }
            definitions.withLock { $0[workflow.id] = (workflow.definition, parsed) }
            return parsed
        }

        func due(_ schedules: [String: Schedule], now: Date) -> [String] {
            counts.withLock { $0.scheduler.due(schedules, now: now) }
        }

        var upcoming: [(workflowID: String, at: Date)] { counts.withLock { $0.scheduler.upcoming } }

        func reserve(agent: String, limit: Int, total: Int) -> Bool {
            counts.withLock { counts in
                guard counts.total < total, counts.byAgent[agent, default: 0] < limit else { return false }
                counts.total += 1
                counts.byAgent[agent, default: 0] += 1
                return true
            }
        }

        func release(agent: String) {
            counts.withLock { counts in
                counts.total -= 1
                counts.byAgent[agent, default: 1] -= 1
            }
        }
    }
}
