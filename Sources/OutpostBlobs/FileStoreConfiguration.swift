/// How a node's file store cuts, keeps and limits files.
public struct FileStoreConfiguration: Sendable, Equatable {
    /// The size data chunks centre on: a power of two from 256 B to 128 KiB. Defaults to 16 KiB.
    public var averageChunkSize: Int = 16 << 10
    /// Largest file `put` accepts, in bytes. Defaults to 100 MB, as in the seed.
    public var maximumFileSize: Int = 100_000_000
    /// Unreferenced chunks younger than this are kept by garbage collection, since a `put` or a
    /// fetch running at the same time writes its chunks before the row that references them.
    /// Defaults to 10 minutes.
    public var chunkGracePeriod: Duration = .seconds(600)

    public init() {}

    /// The largest chunk a node accepts: eight times the largest average, as the hub's limit.
    public static let maximumChunkBytes = 1 << 20
}
