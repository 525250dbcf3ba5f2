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
    /// `local`, or `missing` while chunks are still to be fetched from the hub.
    public var content: String

    enum CodingKeys: String, CodingKey {
        case name, size, hash, modified, priority, compressed, encrypted, content
        case trashedAt = "trashed_at"
        case syncStatus = "sync_status"
    }
}
