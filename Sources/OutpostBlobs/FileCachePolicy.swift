public import OutpostCore

/// How much file content a node keeps, and which synced files it does not fetch until asked:
/// the Cache Manager's settings, kept in the node's store (`outpost files budget`, `outpost
/// files skip`).
public struct FileCachePolicy: Sendable, Equatable, Codable {
    /// Which content goes first when the budget is exceeded.
    public enum EvictionOrder: String, Sendable, Codable, CaseIterable {
        /// The content read longest ago (never read: by when it was put).
        case leastRecentlyUsed = "lru"
        /// The oldest content by when it was put (the seed's `cleanup_old_files`).
        case oldest = "age"
    }

    /// Bytes of chunks kept on disk before content is evicted; `nil` keeps everything.
    public var budgetBytes: Int64?
    public var evictBy: EvictionOrder = .leastRecentlyUsed
    /// Files from the hub whose name matches one of these (`*` any run of characters within a
    /// path segment, `**` across segments, `?` one character) are not fetched until asked for.
    public var skipPatterns: [String] = []
    /// Files from the hub below this priority are not fetched until asked for.
    public var skipBelowPriority: Int?

    public init(
        budgetBytes: Int64? = nil,
        evictBy: EvictionOrder = .leastRecentlyUsed,
        skipPatterns: [String] = [],
        skipBelowPriority: Int? = nil
    ) {
        self.budgetBytes = budgetBytes
        self.evictBy = evictBy
        self.skipPatterns = skipPatterns
        self.skipBelowPriority = skipBelowPriority
    }

    enum CodingKeys: String, CodingKey {
        case budgetBytes = "budget_bytes"
        case evictBy = "evict_by"
        case skipPatterns = "skip_patterns"
        case skipBelowPriority = "skip_below_priority"
    }

    /// Whether a file arriving from the hub waits to be asked for instead of being fetched.
    public func skips(name: String, priority: Int) -> Bool {
        if let skipBelowPriority, priority < skipBelowPriority { return true }
        return skipPatterns.contains { Self.matches(name, pattern: $0) }
    }

    /// Glob matching over `/`-separated names: `*` and `?` stay within a segment, `**` spans them.
    static func matches(_ name: String, pattern: String) -> Bool {
        let text = Array(name.unicodeScalars)
        let glob = Array(pattern.unicodeScalars)
        func match(_ t: Int, _ g: Int) -> Bool {
            if g == glob.count { return t == text.count }
            if glob[g] == "*" {
                let crossesSegments = g + 1 < glob.count && glob[g + 1] == "*"
                let next = crossesSegments ? g + 2 : g + 1
                var index = t
                while true {
                    if match(index, next) { return true }
                    guard index < text.count, crossesSegments || text[index] != "/" else { return false }
                    index += 1
                }
            }
            guard t < text.count else { return false }
            if glob[g] == "?" { return text[t] != "/" && match(t + 1, g + 1) }
            return text[t] == glob[g] && match(t + 1, g + 1)
        }
        return match(0, 0)
    }
}
