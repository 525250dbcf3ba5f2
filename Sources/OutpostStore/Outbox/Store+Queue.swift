import GRDB
public import OutpostCore

extension Store {
    /// Queue entries with `status` (all unfinished ones when `nil`), highest priority first.
    /// A write transaction: the capture log is folded first, so every entry listed has its id.
    public func queueEntries(status: QueueStatus?, limit: Int = 1_000) throws(OutpostError) -> [QueueEntry] {
        try write { db in try Outbox(db).entries(status: status, limit: limit) }
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
        try write { db in try Outbox(db).retryFailed(ids: ids) }
    }
}

extension Outbox {
    /// ``Store/queueEntries(status:limit:)`` inside the caller's transaction.
    func entries(status: QueueStatus?, limit: Int) throws -> [QueueEntry] {
        try fold()
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

    /// ``Store/retryFailed(ids:)`` inside the caller's transaction.
    func retryFailed(ids: [Int64]?) throws -> Int {
        let failed = try Row.fetchAll(
            db,
            sql: "SELECT id, table_name, record_id FROM sync_queue WHERE status = 'failed' ORDER BY id"
        )
        if let chosen = ids.map(Set.init) {
            let known = Set(failed.map { $0["id"] as Int64 })
            if let missing = chosen.subtracting(known).sorted().first {
                throw OutpostError(
                    .notFound,
                    "Queue entry \(missing) is not a failed change; nothing was retried.",
                    remedy: .list(.failedChanges)
                )
            }
        }
        var count = 0
        for row in failed where ids?.contains(row["id"]) ?? true {
            try requeue(row["id"], table: row["table_name"], key: row["record_id"])
            try db.execute(
                sql: "UPDATE sync_queue SET attempts = 0, error_message = NULL WHERE id = ? AND status = 'pending'",
                arguments: [row["id"] as Int64]
            )
            count += 1
        }
        return count
    }
}
