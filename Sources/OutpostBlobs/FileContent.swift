/// Where a file's content is (`files.content`).
enum FileContent {
    /// Every chunk is here.
    static let local = "local"
    /// Chunks are still to come from the hub; the next sync fetches them.
    static let missing = "missing"
    /// Kept on the hub only, by the cache budget or the fetch policy; fetched when asked for.
    static let remote = "remote"
}
