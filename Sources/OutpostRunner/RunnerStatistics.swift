public import Foundation
import GRDB
public import OutpostCore
public import OutpostStore
import Prometheus

/// What `outpost status` and `/metrics` say about the processing layer: agents by status, this
/// node's runs by status, and when each scheduled workflow of this node runs next.
public struct RunnerStatistics: Sendable, Encodable {
    /// Every agent the node holds, by status.
    public var agentsByStatus: [String: Int]
    /// Agents assigned to this node.
    public var agentsOnThisNode: Int
    /// Runs this node made, by status.
    public var runsByStatus: [String: Int]
    /// This node's scheduled workflows, soonest first.
    public var upcoming: [UpcomingRun]

    /// A scheduled workflow and when it runs next (for an `every` schedule: one interval after
    /// its last run here, or now when that has passed).
    public struct UpcomingRun: Sendable, Encodable, Equatable {
        public var workflowID: String
        public var agentID: String
        public var at: Date

        enum CodingKeys: String, CodingKey {
            case workflowID = "workflow_id"
            case agentID = "agent_id"
            case at
        }

        /// `at` as ISO 8601 text, whatever the encoder's date strategy.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(workflowID, forKey: .workflowID)
            try container.encode(agentID, forKey: .agentID)
            try container.encode(ISO8601DateFormatter().string(from: at), forKey: .at)
        }
    }

    enum CodingKeys: String, CodingKey {
        case agentsByStatus = "agents_by_status"
        case agentsOnThisNode = "agents_on_this_node"
        case runsByStatus = "runs_by_status"
        case upcoming
    }

    /// Reads the figures from the store.
    public static func load(store: Store, now: Date = Date(), executors: StepExecutors = .builtIn) throws(OutpostError)
        -> RunnerStatistics
    {
        let agents = try store.agents()
        var agentsByStatus: [String: Int] = [:]
        for agent in agents { agentsByStatus[agent.status, default: 0] += 1 }
        let nodeID = store.nodeID
        let runsByStatus = try store.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT status, count(*) AS runs FROM executions WHERE node_id = ? GROUP BY status",
                arguments: [nodeID]
            ).reduce(into: [String: Int]()) { counts, row in counts[row["status"] ?? "unknown"] = row["runs"] }
        }
        var upcoming: [UpcomingRun] = []
        for agent in agents where agent.status == "active" && agent.nodeID == nodeID {
            for workflow in try store.workflows(agentID: agent.id, status: "active") {
                guard let value = workflow.definition,
                    let schedule = (try? WorkflowDefinition(parsing: value, executors: executors))?.schedule
                else { continue }
                let next: Date?
                switch schedule {
                case .cron:
                    next = schedule.next(after: now)
                case .every:
                    let last = try store.lastStart(ofWorkflow: workflow.id, nodeID: nodeID).flatMap(Self.date)
                    next = last.flatMap { schedule.next(after: $0) }.map { max($0, now) } ?? schedule.next(after: now)
                }
                if let next { upcoming.append(UpcomingRun(workflowID: workflow.id, agentID: agent.id, at: next)) }
            }
        }
        return RunnerStatistics(
            agentsByStatus: agentsByStatus,
            agentsOnThisNode: agents.count { $0.nodeID == nodeID },
            runsByStatus: runsByStatus,
            upcoming: upcoming.sorted { $0.at < $1.at }
        )
    }

    /// The figures in Prometheus text format (gauges; run durations are ``RunMetrics``).
    public func prometheusText() -> String {
        let registry = PrometheusCollectorRegistry()
        for (status, count) in agentsByStatus.sorted(by: { $0.key < $1.key }) {
            registry.makeGauge(name: "outpost_node_agents", labels: [("status", status)], help: "Agents by status.")
                .set(Double(count))
        }
        registry.makeGauge(name: "outpost_node_agents_here", help: "Agents assigned to this node.")
            .set(Double(agentsOnThisNode))
        for (status, count) in runsByStatus.sorted(by: { $0.key < $1.key }) {
            registry.makeGauge(
                name: "outpost_node_runs",
                labels: [("status", status)],
                help: "Workflow runs this node made and holds, by status."
            ).set(Double(count))
        }
        for run in upcoming {
            registry.makeGauge(
                name: "outpost_node_next_run_timestamp_seconds",
                labels: [("workflow", run.workflowID)],
                help: "When each scheduled workflow of this node runs next (Unix time)."
            ).set(run.at.timeIntervalSince1970)
        }
        return registry.emitToString()
    }

    /// A time as the store keeps run times (`yyyy-MM-dd HH:mm:ss[.SSS]`, UTC).
    static func date(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
