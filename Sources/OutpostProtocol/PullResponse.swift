/// `GET /v1/pull?after=C&limit=N&wait_ms=W`: rows changed after cursor C, oldest change first.
public struct PullResponse: Codable, Sendable, Equatable {
    /// Each row at most once, in its latest state, ordered by ``HubRow/sequence``.
    public var rows: [HubRow]
    /// Pass this as `after` next time; every change up to it has been returned.
    public var cursor: Int64
    /// Whether more rows are waiting past ``cursor``.
    public var more: Bool
    /// The tenant's history on the hub: it changes when the hub's data is restored from a
    /// backup (`outpost hub new-epoch`). `nil` from a hub that does not send it.
    public var epoch: Int64?
    /// The tenant's newest sequence number. Below a node's cursor, the hub has lost changes the
    /// node saw. `nil` from a hub that does not send it.
    public var head: Int64?

    public init(rows: [HubRow], cursor: Int64, more: Bool, epoch: Int64? = nil, head: Int64? = nil) {
        self.rows = rows
        self.cursor = cursor
        self.more = more
        self.epoch = epoch
        self.head = head
    }
}
