/// A table whose writes are captured and synced.
public struct TrackedTable: Sendable, Equatable, Codable {
    public var name: String
    /// The priority a change gets unless its row's `status` is `critical` (then 10).
    public var priority: Int
    /// Primary-key columns; the outbox records a multi-column key as a JSON array.
    public var keyColumns: [String]
    /// Columns kept on this node only (never pushed, and not watched by capture).
    public var localColumns: [String]
    /// Whether Outpost itself created the table (agents, workflows, executions).
    public var isBuiltIn: Bool
    /// Rows that existed when the table was tracked and were queued then; only in the answer
    /// of ``Store/track(_:priority:localColumns:)``.
    public var queuedRows: Int?
}
