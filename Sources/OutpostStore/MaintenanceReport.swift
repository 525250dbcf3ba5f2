/// What ``Store/runMaintenance(policy:)`` did.
public struct MaintenanceReport: Sendable, Equatable, Codable {
    /// Completed outbox entries deleted (older than the policy's queue retention).
    public var deletedQueueEntries: Int
    /// Resolved conflicts deleted (older than the policy's conflict retention).
    public var deletedConflicts: Int
    /// Finished executions removed from this node (older than the policy's execution
    /// retention); the hub keeps them.
    public var prunedExecutions: Int = 0
    /// Free pages returned to the file system by `PRAGMA incremental_vacuum`.
    public var reclaimedPages: Int
    /// Whether `ANALYZE` refreshed the query planner's statistics.
    public var analyzed: Bool
    public var sizeBeforeBytes: Int
    public var sizeAfterBytes: Int

    enum CodingKeys: String, CodingKey {
        case deletedQueueEntries = "deleted_queue_entries"
        case deletedConflicts = "deleted_conflicts"
        case prunedExecutions = "pruned_executions"
        case reclaimedPages = "reclaimed_pages"
        case analyzed
        case sizeBeforeBytes = "size_before_bytes"
        case sizeAfterBytes = "size_after_bytes"
    }
}

/// How long finished bookkeeping is kept. The defaults are the seed's.
public struct MaintenancePolicy: Sendable, Equatable {
    /// Completed queue entries older than this many days are deleted. Defaults to 7.
    public var completedQueueRetentionDays: Int = 7
    /// Resolved conflicts older than this many days are deleted. Defaults to 30.
    public var resolvedConflictRetentionDays: Int = 30
    /// Finished executions that ended more than this many days ago are removed from the node
    /// (not from the hub: the removal is not synced). Defaults to 30.
    public var executionRetentionDays: Int = 30
    /// At most this many free pages are vacuumed per run, to keep the run short. Defaults to 1000.
    public var vacuumPageLimit: Int = 1000

    public init() {}
}
