public import OutpostCore

/// Two versions of one row that changed concurrently, with the version both started from.
///
/// The sync engine builds one when the hub refuses a push because the row moved on: `local` is
/// the node's pending row, `remote` the hub's current row, and `base` the last hub state the node
/// saw. Each side carries the hybrid-logical-clock stamp of its last write, which names the node
/// that made it; `newest` decisions compare these stamps, never a wall clock.
///
/// ```swift
/// let conflict = Conflict(
///     entityType: "agents", key: "a1",
///     local: ["name": "scout", "status": "active"],
///     remote: ["name": "scout-2", "status": "inactive"],
///     base: ["name": "scout", "status": "inactive"],
///     localStamp: HybridTimestamp(milliseconds: 1_000, counter: 0, node: "edge-1"),
///     remoteStamp: HybridTimestamp(milliseconds: 2_000, counter: 0, node: "hub"))
/// ```
public struct Conflict: Hashable, Sendable {
    /// The table (entity type) the row belongs to, such as `agents`; selects the rules.
    public var entityType: String
    /// The row's key.
    public var key: String
    /// The row version the local edit was based on; carried for records, not used to merge.
    public var localVersion: Int64
    /// The hub's current row version; carried for records, not used to merge.
    public var remoteVersion: Int64
    /// The node's pending row, usually a JSON object of column values.
    public var local: JSONValue
    /// The hub's current row.
    public var remote: JSONValue
    /// The last hub state the node saw, or `nil` when it is unknown (a two-way merge follows).
    public var base: JSONValue?
    /// The sync priority of the row (critical 10 … background 1); carried for queues.
    public var priority: Int
    /// The stamp of the local write, naming the node that made it.
    public var localStamp: HybridTimestamp
    /// The stamp of the remote write, naming the node that made it.
    public var remoteStamp: HybridTimestamp

    /// Creates a conflict.
    ///
    /// - Parameters:
    ///   - priority: Defaults to 5, the seed's normal lane.
    ///   - localVersion: Defaults to 0 when the caller does not track versions.
    ///   - remoteVersion: Defaults to 0 when the caller does not track versions.
    public init(
        entityType: String,
        key: String,
        local: JSONValue,
        remote: JSONValue,
        base: JSONValue?,
        localStamp: HybridTimestamp,
        remoteStamp: HybridTimestamp,
        localVersion: Int64 = 0,
        remoteVersion: Int64 = 0,
        priority: Int = 5
    ) {
        self.entityType = entityType
        self.key = key
        self.local = local
        self.remote = remote
        self.base = base
        self.localStamp = localStamp
        self.remoteStamp = remoteStamp
        self.localVersion = localVersion
        self.remoteVersion = remoteVersion
        self.priority = priority
    }

    /// The same conflict seen from the other side: local and remote (values, stamps, versions)
    /// exchanged. Symmetric strategies give the same merged value for both.
    public var swapped: Conflict {
        Conflict(
            entityType: entityType,
            key: key,
            local: remote,
            remote: local,
            base: base,
            localStamp: remoteStamp,
            remoteStamp: localStamp,
            localVersion: remoteVersion,
            remoteVersion: localVersion,
            priority: priority
        )
    }

    /// Whether the remote write is the newer one, by hybrid timestamp (node id breaks ties).
    ///
    /// Two writes with the very same stamp cannot come from different nodes; should it happen,
    /// the remote side counts as newer only if its canonical JSON sorts after the local one, so
    /// the choice still does not depend on which side is which.
    var remoteIsNewer: Bool {
        if localStamp != remoteStamp { return remoteStamp > localStamp }
        return remote.encoded() > local.encoded()
    }
}
