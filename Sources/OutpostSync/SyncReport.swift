/// What a push, a pull or a whole sync did, for the summary `outpost sync` prints.
public struct SyncReport: Sendable, Equatable, Codable {
    /// Changes the hub applied.
    public var pushed = 0
    /// Rows pulled from the hub and written (or merged) locally.
    public var pulled = 0
    /// Conflicts merged automatically (by the rules), on push or pull.
    public var merged = 0
    /// Conflicts parked for a person (`outpost conflicts`).
    public var parked = 0
    /// Changes the hub refused, now failed in the queue (`outpost queue list`).
    public var failed = 0
    public var batches = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Whether the hub asked for a full re-sync and the node did one.
    public var resynced = false
    /// Pending changes left (held rows, or the quota reached).
    public var pending = 0
    /// Whether today's byte quota held changes back (only critical ones went).
    public var quotaReached = false
    /// File chunks uploaded because the hub lacked them.
    public var chunksSent = 0
    /// File chunks downloaded because this node lacked them.
    public var chunksFetched = 0
    /// Files whose content became complete here.
    public var filesFetched = 0
    /// Columns added to tracked tables from the hub's declarations, as `table.column`.
    public var columnsAdded: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case pushed, pulled, merged, parked, failed, batches, resynced, pending
        case chunksSent = "chunks_sent"
        case chunksFetched = "chunks_fetched"
        case filesFetched = "files_fetched"
        case columnsAdded = "columns_added"
        case quotaReached = "quota_reached"
        case bytesSent = "bytes_sent"
        case bytesReceived = "bytes_received"
    }
}

/// Where a sync is, for a progress bar.
public struct SyncProgress: Sendable {
    public enum Phase: String, Sendable {
        case push, pull, files
        /// `outpost track` queuing a table's existing rows.
        case queue
    }

    public var phase: Phase
    /// Changes pushed or rows pulled so far in this phase.
    public var done: Int
    /// Changes to push when the phase began (`nil` for a pull, whose size the node cannot know).
    public var total: Int?

    public init(phase: Phase, done: Int, total: Int?) {
        self.phase = phase
        self.done = done
        self.total = total
    }
}
