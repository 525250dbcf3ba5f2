import GRDB
import Synchronization

/// Pull cursors a SQLite hub has yet to write: a pull is then a read, and pulls run side by side
/// instead of one write transaction each (a change that wakes a thousand waiting nodes made a
/// thousand cursor writes in a row).
///
/// A cursor recorded late only makes the hub more careful: it collects tombstones up to the
/// lowest cursor it knows, and the offline lease counts from the last time it knows. They are
/// written within ``flushInterval`` of the pull, and before anything in this process writes or
/// lists nodes (``flush(_:)`` runs first in every write), so within the process nothing reads a
/// stale one. A node's first pull is written at once: whether a node ever synced decides what a
/// scope change sends it, and another process may change scopes.
final class PendingCursors: Sendable {
    /// The longest a pulled cursor waits to be written.
    static let flushInterval: Duration = .seconds(1)

    private struct Pending {
        var cursors: [String: Int64] = [:]
        var oldest: ContinuousClock.Instant?
    }

    private let pending = Mutex(Pending())

    /// What the caller of ``record(_:for:now:)`` should do.
    enum Recorded {
        /// Nothing was waiting: have the cursors written once ``flushInterval`` has passed.
        case first
        /// Others wait already, and the oldest is not due yet.
        case waiting
        /// The oldest waiting cursor is due: write them now.
        case due
    }

    /// Records that node `nodeID` pulled after `cursor` (0 for a pull that names no cursor).
    func record(_ cursor: Int64, for nodeID: String, now: ContinuousClock.Instant = .now) -> Recorded {
        pending.withLock { pending in
            pending.cursors[nodeID] = max(pending.cursors[nodeID] ?? 0, cursor)
            guard let oldest = pending.oldest else {
                pending.oldest = now
                return .first
            }
            return now - oldest >= Self.flushInterval ? .due : .waiting
        }
    }

    /// Whether any cursor waits.
    var isEmpty: Bool { pending.withLock { $0.cursors.isEmpty } }

    /// Writes every waiting cursor in `db`'s transaction. Taken out first: a failed transaction
    /// loses them, which only makes the hub more careful (see the type's comment).
    func flush(_ db: Database) throws {
        let cursors = pending.withLock { pending in
            defer { pending = Pending() }
            return pending.cursors
        }
        guard !cursors.isEmpty else { return }
        let update = try db.cachedStatement(
            sql: "UPDATE outpost_nodes SET cursor = max(cursor, ?), last_seen_at = CURRENT_TIMESTAMP WHERE id = ?"
        )
        for (nodeID, cursor) in cursors {
            try update.execute(arguments: [cursor, nodeID])
        }
    }
}
