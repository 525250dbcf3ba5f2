public import OutpostCore

/// One field both sides changed differently, handed to a custom field handler.
///
/// A value that is absent on a side (deleted, or never set) is `nil`.
public struct FieldConflict: Hashable, Sendable {
    /// The entity type (table) of the row.
    public var entityType: String
    /// The row's key.
    public var key: String
    /// Where in the row, as `config.retries`.
    public var path: String
    public var base: JSONValue?
    public var local: JSONValue?
    public var remote: JSONValue?
    public var localStamp: HybridTimestamp
    public var remoteStamp: HybridTimestamp

    public init(
        entityType: String,
        key: String,
        path: String,
        base: JSONValue?,
        local: JSONValue?,
        remote: JSONValue?,
        localStamp: HybridTimestamp,
        remoteStamp: HybridTimestamp
    ) {
        self.entityType = entityType
        self.key = key
        self.path = path
        self.base = base
        self.local = local
        self.remote = remote
        self.localStamp = localStamp
        self.remoteStamp = remoteStamp
    }
}
