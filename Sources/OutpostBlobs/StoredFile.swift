/// One file in the node's file index.
public struct StoredFile: Sendable, Equatable, Codable {
    /// The file's relative path, its identity on every node.
    public var name: String
    public var size: Int
    /// SHA-256 of the whole content, hex.
    public var hash: String
    /// When it was last put, in milliseconds since the epoch.
    public var modified: Int64
    public var priority: Int
    /// When `rm` moved it to the trash (ms), or nil.
    public var trashedAt: Int64?
    /// `pending` until the hub confirms it, then `synced`.
    public var syncStatus: String
    /// Whether some of its chunks are kept compressed here.
    public var compressed: Bool
    /// Whether its chunks are kept encrypted here.
    public var encrypted: Bool
    /// `local`; `missing` while chunks are still to be fetched from the hub; `remote` when it
    /// is kept on the hub only (evicted by the cache budget, or not fetched by choice) until
    /// asked for.
    public var content: String
    /// Never evicted by the cache budget.
    public var pinned: Bool = false
    /// When its content was last read here (ms since the epoch), if ever.
    public var lastUsed: Int64?

    enum CodingKeys: String, CodingKey {
        case name, size, hash, modified, priority, compressed, encrypted, content, pinned
        case lastUsed = "last_used"
        case trashedAt = "trashed_at"
        case syncStatus = "sync_status"
    }
}
