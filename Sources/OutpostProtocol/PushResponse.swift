/// The hub's answer to a push: one result per change, in the order sent.
public struct PushResponse: Codable, Sendable, Equatable {
    public var results: [ChangeResult]
    /// The tenant's newest sequence number after this batch.
    public var sequence: Int64

    public init(results: [ChangeResult], sequence: Int64) {
        self.results = results
        self.sequence = sequence
    }
}

/// What happened to one pushed change.
public struct ChangeResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Applied: the row is now at ``ChangeResult/version``.
        case applied
        /// Not applied: the hub's row moved past the change's base version. ``ChangeResult/current``
        /// is the hub's row, for the node to merge with and push again.
        case conflict
    }

    public var changeID: String
    public var status: Status
    /// The row's hub version after the change (applied), or the hub's current version (conflict).
    public var version: Int64
    /// The change-log sequence number the change was given (applied only).
    public var sequence: Int64?
    /// The hub's current row (conflict only).
    public var current: HubRow?

    public init(changeID: String, status: Status, version: Int64, sequence: Int64? = nil, current: HubRow? = nil) {
        self.changeID = changeID
        self.status = status
        self.version = version
        self.sequence = sequence
        self.current = current
    }

    enum CodingKeys: String, CodingKey {
        case status, version, sequence, current
        case changeID = "change_id"
    }
}
