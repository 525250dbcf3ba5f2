/// The seed's `get_statistics`, plus what a node operator asks next: what is waiting, by priority.
public struct StoreStatistics: Sendable, Equatable, Codable {
    public var nodeID: String
    public var totalAgents: Int
    public var totalWorkflows: Int
    public var totalExecutions: Int
    /// `sync_queue` entries by status (`pending`, `processing`, `completed`, `failed`).
    public var syncQueue: [String: Int]
    /// Pending `sync_queue` entries by priority (as text keys, "10" … "1").
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
        case syncQueue = "sync_queue"
        case pendingByPriority = "pending_by_priority"
        case conflicts
        case trackedTables = "tracked_tables"
        case databaseSizeMB = "database_size_mb"
    }
}
