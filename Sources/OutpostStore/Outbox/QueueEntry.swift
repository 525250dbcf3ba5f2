/// The outbox as a person sees it: `outpost queue list|retry`.
public struct QueueEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var table: String
    public var key: String
    public var operation: QueueOperation
    public var priority: Int
    public var status: QueueStatus
    public var attempts: Int
    /// Why the last attempt failed (the hub's reason for a refused change).
    public var error: String?
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, table, key, operation, priority, status, attempts, error
        case createdAt = "created_at"
    }
}
