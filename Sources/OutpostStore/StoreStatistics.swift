/// The seed's `get_statistics`, plus what a node operator asks next: what is waiting, by priority.
public struct StoreStatistics: Sendable, Equatable, Codable {
    public var nodeID: String
    public var totalAgents: Int
    public var totalWorkflows: Int
    public var totalExecutions: Int
    /// Outbox entries by status (`pending`, `processing`, `completed`, `failed`, `conflict`).
    public var syncQueue: [String: Int]
    /// Pending outbox entries by priority (as text keys, "10" … "1").
    public var pendingByPriority: [String: Int]
    /// `conflict_resolution` rows by status.
    public var conflicts: [String: Int]
    public var trackedTables: [String]
    public var databaseSizeMB: Double

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id"
        case totalAgents = "total_agents"
        case totalWorkflows = "total_workflows"
        case totalExecutions = "total_executions"
        // The seed's name for the queue, kept as the key of `outpost status --json`.
        case syncQueue = "sync_queue"
        case pendingByPriority = "pending_by_priority"
        case conflicts
        case trackedTables = "tracked_tables"
        case databaseSizeMB = "database_size_mb"
    }
}
