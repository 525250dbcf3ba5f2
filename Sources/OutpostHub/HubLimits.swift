import OutpostProtocol

/// Limits on what a client may send, so that no request can exhaust the hub.
public struct HubLimits: Sendable, Equatable {
    /// Largest request body, after decompression, in bytes. Defaults to 16 MiB; larger gets 413.
    public var maximumBodyBytes: Int = 16 << 20
    /// Most changes in one push. Defaults to 10,000.
    public var maximumChangesPerBatch: Int = 10_000
    /// Largest single column value, encoded as JSON, in bytes. Defaults to 1 MiB.
    public var maximumFieldBytes: Int = 1 << 20
    /// Longest row key, in UTF-8 bytes. Defaults to 512.
    public var maximumKeyLength: Int = 512
    /// Most rows one pull returns. Defaults to 5,000.
    public var maximumPullLimit: Int = 5_000
    /// Most bytes of row data in one pull page. Defaults to 8 MiB; a single larger row (up to
    /// ``maximumBodyBytes``, as pushed) travels alone. Nodes accept pull answers of up to 256 MiB.
    public var maximumPullBytes: Int = 8 << 20
    /// Most columns a table of a tenant may have, counting those pushes declare. Defaults to
    /// 2,000, SQLite's own default limit (a node could not hold more).
    public var maximumColumnsPerTable: Int = 2_000
    /// Most tables one push may declare (in `schemas` and `declarations`). Defaults to 500.
    public var maximumTablesPerPush: Int = 500
    /// Longest a pull may wait for new changes. Defaults to 30 seconds.
    public var maximumWaitMilliseconds: Int = 30_000
    /// Largest file chunk, in plain bytes. Defaults to 1 MiB (nodes cut chunks of at most 8× a
    /// 128 KiB average).
    public var maximumChunkBytes: Int = 1 << 20
    /// Most plain bytes one chunk upload may inflate to, so a body of tiny, highly compressed
    /// frames cannot keep the hub inflating. Defaults to 64 MiB.
    public var maximumUploadPlainBytes: Int = 64 << 20
    /// Most distinct delta bases one chunk upload may name (their plain bytes count against
    /// ``maximumUploadPlainBytes`` too). Defaults to ``ChunkFrame/deltaBasesPerUpload``, which
    /// nodes keep to.
    public var maximumDeltaBasesPerUpload: Int = ChunkFrame.deltaBasesPerUpload

    public init() {}
}
