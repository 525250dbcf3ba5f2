/// What the node's file store holds: the seed's storage statistics plus deduplication.
public struct FileStatistics: Sendable, Equatable, Codable {
    public var totalFiles = 0
    /// Bytes of all files in the index, as they read.
    public var totalSize = 0
    public var syncedFiles = 0
    public var pendingFiles = 0
    /// Files whose content is still to be fetched from the hub.
    public var missingFiles = 0
    public var trashedFiles = 0
    /// Files whose content is kept on the hub only (evicted by the budget, or skipped).
    public var remoteFiles = 0
    /// Files whose content the budget never evicts.
    public var pinnedFiles = 0
    /// The budget for chunks on disk, if the node has one.
    public var budgetBytes: Int64?
    public var compressedFiles = 0
    public var encryptedFiles = 0
    /// Distinct chunks kept on this node (data and chunk lists).
    public var chunks = 0
    /// Their plain bytes.
    public var chunkBytes = 0
    /// Bytes they take on disk (after compression, with encryption's overhead).
    public var storedBytes = 0
    /// Bytes of the files whose content is here, over the plain bytes of the chunks kept: 2.0
    /// means every byte is stored once for two it serves.
    public var deduplicationRatio = 1.0

    enum CodingKeys: String, CodingKey {
        case chunks
        case totalFiles = "total_files"
        case totalSize = "total_size"
        case syncedFiles = "synced_files"
        case pendingFiles = "pending_files"
        case missingFiles = "missing_files"
        case trashedFiles = "trashed_files"
        case remoteFiles = "remote_files"
        case pinnedFiles = "pinned_files"
        case budgetBytes = "budget_bytes"
        case compressedFiles = "compressed_files"
        case encryptedFiles = "encrypted_files"
        case chunkBytes = "chunk_bytes"
        case storedBytes = "stored_bytes"
        case deduplicationRatio = "deduplication_ratio"
    }
}
