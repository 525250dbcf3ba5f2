import GRDB
public import OutpostCore
public import OutpostStore

/// The outbox as a person sees it: `outpost queue list|retry`.
public struct QueueEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var table: String
    public var key: String
    public var operation: String
    public var priority: Int
    public var status: String
    public var attempts: Int
    /// Why the last attempt failed (the hub's reason for a refused change).
    public var error: String?
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, table, key, operation, priority, status, attempts, error
        case createdAt = "created_at"
    }
}

extension Store {
    /// Queue entries with `status` (all unfinished ones when `nil`), highest priority first.
    public func queueEntries(status: String?, limit: Int = 1_000) throws(OutpostError) -> [QueueEntry] {
        try read { db in
            let filter = status == nil ? "status != 'completed'" : "status = ?"
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT id, table_name, record_id, operation, priority, status, attempts, error_message, created_at
                    FROM sync_queue WHERE \(filter) ORDER BY priority DESC, hlc LIMIT ?
                    """,
                arguments: status.map { [$0, limit] } ?? [limit]
            ).map { row in
                QueueEntry(
                    id: row["id"],
                    table: row["table_name"],
                    key: row["record_id"],
                    operation: row["operation"],
                    priority: row["priority"],
                    status: row["status"],
                    attempts: row["attempts"],
                    error: row["error_message"],
                    createdAt: row["created_at"] ?? ""
                )
            }
        }
    }

    /// Sends failed entries again: each becomes the row's pending change (folded into one that
    /// was captured since), with its attempts reset.
    ///
    /// - Parameter ids: the entries to retry; `nil` retries every failed one.
    /// - Returns: how many were put back.
    /// - Throws: ``OutpostError`` `.notFound` naming an id that is not a failed entry; nothing is
    ///   changed then.
    @discardableResult
    public func retryFailed(ids: [Int64]?) throws(OutpostError) -> Int {
        try write { db in
            let failed = try Row.fetchAll(
                db,
                sql: "SELECT id, table_name, record_id FROM sync_queue WHERE status = 'failed' ORDER BY id"
            )
            let chosen = ids.map(Set.init)
            if let chosen {
                let known = Set(failed.map { $0["id"] as Int64 })
                if let missing = chosen.subtracting(known).sorted().first {
                    throw OutpostError(
                        .notFound,
                        "Queue entry \(missing) is not a failed change; nothing was retried. "
                            + "See `outpost queue list --status failed`."
                    )
                }
            }
            var count = 0
            for row in failed where chosen?.contains(row["id"]) ?? true {
                try Outbox.requeue(row["id"], table: row["table_name"], key: row["record_id"], in: db)
                try db.execute(
                    sql: "UPDATE sync_queue SET attempts = 0, error_message = NULL WHERE id = ? AND status = 'pending'",
                    arguments: [row["id"] as Int64]
                )
                count += 1
            }
            return count
        }
    }
}
