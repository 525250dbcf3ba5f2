/// How a node paces its sync. The defaults suit a LAN; set a cap and a quota for a metered link.
public struct SyncConfiguration: Sendable, Equatable {
    /// Rows asked for per pull.
    public var pullLimit = 1_000
    /// Changes in the first push batch; later batches are sized from the measured link.
    public var initialBatchSize = 200
    /// The most changes one push batch may carry.
    public var maximumBatchSize = 5_000
    /// Bytes per second the node may use on the link (request and answer bodies); `nil`: no cap.
    public var bandwidthBytesPerSecond: Double?
    /// The share of the cap kept for critical changes (priority 10).
    public var criticalReserve = 0.2
    /// Bytes per UTC day after which only critical changes are pushed; `nil`: no quota.
    public var dailyQuotaBytes: Int64?

    public init() {}
}
