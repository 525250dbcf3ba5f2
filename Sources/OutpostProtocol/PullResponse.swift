/// `GET /v1/pull?after=C&limit=N&wait_ms=W`: rows changed after cursor C, oldest change first.
public struct PullResponse: Codable, Sendable, Equatable {
    /// Each row at most once, in its latest state, ordered by ``HubRow/sequence``.
    public var rows: [HubRow]
    /// Pass this as `after` next time; every change up to it has been returned.
    public var cursor: Int64
    /// Whether more rows are waiting past ``cursor``.
    public var more: Bool

    public init(rows: [HubRow], cursor: Int64, more: Bool) {
        self.rows = rows
        self.cursor = cursor
        self.more = more
    }
}
