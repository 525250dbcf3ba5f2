public import GRDB

/// Where a queue entry (`sync_queue.status`) is in its life; stored as the seed's strings.
///
/// `pending` → `processing` (in a batch on its way) → `completed` (the hub confirmed it), or
/// `failed` (the dead letter: the hub refused it, or it ran out of attempts; retried only by
/// `outpost queue retry`), or `conflict` (held while a person resolves the row's conflict).
public enum QueueStatus: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case pending
    case processing
    case completed
    case failed
    case conflict
}
