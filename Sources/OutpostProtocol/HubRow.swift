public import OutpostCore

/// A row as the hub holds it: its latest state, version and the change that made it.
public struct HubRow: Codable, Sendable, Equatable {
    public var table: String
    public var key: String
    /// Starts at 1 and goes up by one with every applied change.
    public var version: Int64
    /// The row's columns; `null` for a tombstone.
    public var data: JSONValue?
    public var deleted: Bool
    /// The clock stamp of the change that made this version.
    public var hlc: Int64
    /// The hub id of the node that made this version.
    public var origin: String
    /// The tenant-wide sequence number of this version: pull cursors count these.
    public var sequence: Int64

    public init(
        table: String,
        key: String,
        version: Int64,
        data: JSONValue?,
        deleted: Bool,
        hlc: Int64,
        origin: String,
        sequence: Int64
    ) {
        self.table = table
        self.key = key
        self.version = version
        self.data = data
        self.deleted = deleted
        self.hlc = hlc
        self.origin = origin
        self.sequence = sequence
    }
}
