import Foundation
package import GRDB
import OutpostCore

/// The outbox (`sync_queue`): every change of a synced table waits here until the hub confirms
/// it. This type owns it: the capture triggers (``CaptureTriggers``), the engine, conflict
/// resolution, statistics and maintenance all go through it, and no other code names the table.
///
/// An entry's life is a ``QueueStatus``; a row has at most one `pending` entry, into which its
/// repeated changes coalesce (``QueueOperation/then(_:)``). Every method runs inside the
/// caller's transaction:
///
/// ```swift
/// try store.write { db in
///     let outbox = Outbox(db)
///     if try outbox.isDirty(table: "readings", key: "r1") { … }
/// }
/// ```
///
/// Capture writes to a log first. A capture trigger appends its change to `outpost_capture`, a
/// table with no index, which costs a write far less than the upsert into `sync_queue` and its
/// three indexes (BENCHMARKS.md, capture); ``fold()`` later upserts the log's changes into
/// `sync_queue` in the order they were made, by the same coalescing rule, and empties it. Every
/// method here that reads or changes pending entries in a write transaction folds first; the
/// ones that only count or show (and may run on a read snapshot) see through the log, as the
/// `outpost_pending` view and the seed's `pending_sync` view do. Nothing is lost between the
/// two: the log is written in the same transaction as the row, and folded in one.
package struct Outbox {
    package let db: Database

    package init(_ db: Database) { self.db = db }

    // MARK: Capture

    /// The capture log. Made by the first `track` as well as by migration v10, because the
    /// migrations before v10 install triggers that append to it. No index: each would cost
    /// every captured write.
    static let captureLogSQL = """
        CREATE TABLE IF NOT EXISTS outpost_capture (
            id INTEGER PRIMARY KEY,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            operation TEXT NOT NULL,
            priority INTEGER NOT NULL,
            hlc INTEGER NOT NULL
        )
        """

    /// What a capture trigger runs for a change of its row: an append to the capture log.
    static func captureSQL(table: String, key: String, operation: String, priority: String, stamp: String)
        -> String
    {
        """
        INSERT INTO outpost_capture (table_name, record_id, operation, priority, hlc)
            VALUES (\(table), \(key), \(operation), \(priority), \(stamp));
        """
    }

    /// How a change coalesces into its row's pending entry, for an upsert whose new values are
    /// `excluded`: the operations by ``QueueOperation/then(_:)``, the highest priority seen, a
    /// stamp newer than the entry's last one (so one row's stamps only grow).
    private static let coalescing = """
        ON CONFLICT (table_name, record_id) WHERE status = 'pending' DO UPDATE SET
            operation = \(QueueOperation.coalescingSQL(earlier: "sync_queue.operation", later: "excluded.operation")),
            priority = max(sync_queue.priority, excluded.priority),
            hlc = max(excluded.hlc, sync_queue.hlc + 1)
        """

    /// When a captured change was made, as `sync_queue.created_at` holds it (UTC,
    /// `YYYY-MM-DD HH:MM:SS`), derived from its stamp's wall-clock milliseconds rather than kept.
    static let capturedAtSQL = "datetime(hlc / \(1 << HybridTimestamp.counterBits) / 1000, 'unixepoch')"

    /// Queues a change of a row directly, for rows the engine writes itself (merge results),
    /// whose writes the triggers do not see. Earlier captures are folded first, so they stay
    /// earlier.
    package func enqueue(table: String, key: String, operation: QueueOperation, priority: Int) throws {
        try fold()
        try db.run(
            sql: """
                INSERT INTO sync_queue (table_name, record_id, operation, priority, hlc) VALUES (?, ?, ?, ?, ?)
                \(Self.coalescing)
                """,
            arguments: [table, key, operation, priority, try ClockFloor(db).freshStamp()]
        )
    }

    /// Moves every change in the capture log into `sync_queue`, oldest first, each coalescing
    /// into its row's pending entry as the trigger's upsert did before the log existed, and
    /// empties the log. Costs one probe when the log is empty. Write transactions only.
    package func fold() throws {
        guard try Bool.fetchOne(cached: db, sql: "SELECT EXISTS (SELECT 1 FROM outpost_capture)") == true else {
            return
        }
        try db.run(
            sql: """
                INSERT INTO sync_queue (table_name, record_id, operation, priority, hlc, created_at)
                SELECT table_name, record_id, operation, priority, hlc, \(Self.capturedAtSQL)
                FROM outpost_capture WHERE true ORDER BY id
                \(Self.coalescing)
                """
        )
        try db.run(sql: "DELETE FROM outpost_capture")
    }

    /// Changes the capture log may hold before any write transaction of the store folds it
    /// (``foldIfLong()``): a node that writes for weeks without pushing keeps one entry per row,
    /// and the reads that see through the log scan at most about this many.
    static let longLog: Int64 = 10_000

    /// Folds the log when it holds more than ``longLog`` changes. Run at the start of every
    /// write transaction of the store; costs one probe of the log's last rowid (the log is
    /// emptied whole, so its rowids count from 1).
    package func foldIfLong() throws {
        guard let last = try Int64.fetchOne(cached: db, sql: "SELECT max(id) FROM outpost_capture"),
            last > Self.longLog
        else { return }
        try fold()
    }

    // MARK: Rows

    /// Whether any row has local work (what ``isDirty(table:key:)`` asks of one row): a pulled
    /// page taken while there is none needs no check per row. Folds the capture log first, so
    /// the page's per-row checks find every change in `sync_queue`.
    package func hasLocalWork() throws -> Bool {
        try fold()
        return try Bool.fetchOne(
            cached: db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM sync_queue WHERE status = 'pending')
                    OR EXISTS (SELECT 1 FROM sync_queue WHERE \(Self.heldCondition))
                    OR EXISTS (SELECT 1 FROM conflict_resolution WHERE status = 'pending' AND kind = 'sync')
                """
        ) ?? false
    }

    /// Whether the row has local work the hub does not have: a queued, in-flight, held or failed
    /// change, or a conflict waiting for a person. A failed change is local work too: a pull
    /// merges with it instead of overwriting it, and `outpost queue retry` can still send it.
    /// Folds the capture log first (a write transaction's question).
    package func isDirty(table: String, key: String) throws -> Bool {
        try fold()
        return try Bool.fetchOne(
            cached: db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2 AND status = 'pending')
                    OR EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2
                               AND \(Self.heldCondition))
                    OR EXISTS (SELECT 1 FROM conflict_resolution WHERE table_name = ?1 AND record_id = ?2
                               AND status = 'pending' AND kind = 'sync')
                """,
            arguments: [table, key]
        ) ?? false
    }

    /// What the seed's `sync_status` should say of a row, from its queue: `error` when its change
    /// failed, `conflict` while it is held for a person, `pending` while a change waits or is in
    /// flight; otherwise the column's own value (`stored`, `synced` once the hub confirmed it).
    ///
    /// Derived when read rather than kept up to date by the capture triggers, so it is true
    /// whoever wrote the row (`sqlite3` too) and capture costs nothing more. Sees through the
    /// capture log, so it may run on a read snapshot.
    package func syncStatus(table: String, key: String, stored: String?) throws -> String? {
        guard
            let row = try Row.fetchOne(
                cached: db,
                sql: """
                    SELECT
                        EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2
                                AND status = 'failed') AS failed,
                        EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2
                                AND status = 'conflict')
                            OR EXISTS (SELECT 1 FROM conflict_resolution WHERE table_name = ?1 AND record_id = ?2
                                       AND status = 'pending' AND kind = 'sync') AS held,
                        EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2 AND status = 'pending')
                            OR EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ?1 AND record_id = ?2
                                       AND status = 'processing')
                            OR EXISTS (SELECT 1 FROM outpost_capture WHERE table_name = ?1 AND record_id = ?2) AS waiting
                    """,
                arguments: [table, key]
            )
        else { return stored }
        if row["failed"] as Bool { return "error" }
        if row["held"] as Bool { return "conflict" }
        if row["waiting"] as Bool { return "pending" }
        return stored
    }

    /// Entries that are local work but not pending (in flight, held for a person, failed), as
    /// the partial index `idx_sync_queue_held_row` says it. A query uses the index when it names
    /// this same condition, or one status of it (`status = 'failed'`).
    ///
    /// Comparisons joined by OR, not `status IN (…)`: SQLite checks an index's condition on
    /// every insert, and for an `IN` list of three values it builds a temporary table each time;
    /// in a capture trigger that was a third of a captured write (BENCHMARKS.md, capture).
    static let heldCondition = "(status = 'processing' OR status = 'conflict' OR status = 'failed')"

    /// The newest stamp of the row's local work (pending, in flight, held or failed entries);
    /// 0 when it has none.
    package func newestUnconfirmedStamp(table: String, key: String) throws -> Int64 {
        // One arm per partial index (pending; in flight, held or failed), and the capture log.
        try Int64.fetchOne(
            cached: db,
            sql: """
                SELECT max(coalesce((SELECT max(hlc) FROM sync_queue
                                     WHERE table_name = ?1 AND record_id = ?2 AND status = 'pending'), 0),
                           coalesce((SELECT max(hlc) FROM sync_queue
                                     WHERE table_name = ?1 AND record_id = ?2
                                       AND \(Self.heldCondition)), 0),
                           coalesce((SELECT max(hlc) FROM outpost_capture
                                     WHERE table_name = ?1 AND record_id = ?2), 0))
                """,
            arguments: [table, key]
        ) ?? 0
    }

    /// Completes the row's pending entry: the node holds what the hub holds, so it is moot.
    package func completePending(table: String, key: String, note: String) throws {
        try fold()
        try db.run(
            sql: """
                UPDATE sync_queue SET status = 'completed', error_message = ?
                WHERE table_name = ? AND record_id = ? AND status = 'pending'
                """,
            arguments: [note, table, key]
        )
    }

    /// Holds the row's pending and in-flight entries while a person resolves its conflict.
    package func hold(table: String, key: String) throws {
        try fold()
        try db.execute(
            sql: """
                UPDATE sync_queue SET status = 'conflict'
                WHERE table_name = ? AND record_id = ? AND status IN ('pending', 'processing')
                """,
            arguments: [table, key]
        )
    }

    /// Leaves the row with exactly one `pending` entry when it had held (`conflict`) entries:
    /// they are folded, oldest first, into the entry a resolution's write just captured (or,
    /// when the write captured nothing, into the newest held one) by the coalescing rule.
    package func releaseHeld(table: String, key: String) throws {
        try fold()
        let entries = try Row.fetchAll(
            db,
            sql: """
                SELECT id, operation, priority, hlc, status FROM sync_queue
                WHERE table_name = ? AND record_id = ? AND status IN ('conflict', 'pending')
                ORDER BY status = 'pending', id
                """,
            arguments: [table, key]
        )
        let held = entries.filter { $0["status"] as QueueStatus == .conflict }
        guard !held.isEmpty, let last = entries.last else { return }
        let pending = last["status"] as QueueStatus == .pending
        let operation = entries.dropFirst().reduce(entries[0]["operation"] as QueueOperation) {
            $0.then($1["operation"])
        }
        let heldStamp = held.map { $0["hlc"] as Int64 }.max() ?? 0
        let stamp = pending ? last["hlc"] as Int64 : try ClockFloor(db).freshStamp()
        try db.execute(
            sql: "DELETE FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'conflict' AND id != ?",
            arguments: [table, key, last["id"] as Int64]
        )
        try db.execute(
            sql: """
                UPDATE sync_queue
                SET status = 'pending', operation = ?, priority = ?, hlc = ?, change_id = NULL, attempts = 0,
                    error_message = NULL
                WHERE id = ?
                """,
            arguments: [
                operation, entries.map { $0["priority"] as Int }.max() ?? 5, max(stamp, heldStamp + 1),
                last["id"] as Int64,
            ]
        )
    }

    // MARK: Push

    /// The batch sent last whose answer never came (a crash, a cut connection), to send again
    /// exactly as before: its id, its body and its entries in their places. Bodies of batches
    /// no longer in flight are dropped first.
    package func inFlightBatch() throws -> InFlightBatch? {
        try dropAnsweredBodies()
        guard
            let batchID = try String.fetchOne(
                cached: db,
                sql: "SELECT batch_id FROM sync_queue WHERE status = 'processing' AND batch_id IS NOT NULL LIMIT 1"
            )
        else { return nil }
        let entries = try Row.fetchAll(
            cached: db,
            sql: """
                SELECT id, priority, batch_position, data FROM sync_queue
                WHERE status = 'processing' AND batch_id = ?
                ORDER BY batch_position
                """,
            arguments: [batchID]
        ).map {
            InFlightEntry(id: $0["id"], priority: $0["priority"], position: $0["batch_position"], sentJSON: $0["data"])
        }
        let body = try Row.fetchOne(
            cached: db,
            sql: "SELECT body, encoding FROM outpost_sent_batches WHERE batch_id = ?",
            arguments: [batchID]
        )
        return InFlightBatch(
            id: batchID,
            entries: entries,
            body: body.map { [UInt8]($0["body"] as Data) },
            bodyEncoding: body?["encoding"]
        )
    }

    /// Forgets the kept bodies of batches with no entry in flight any more (answered, split,
    /// given up on).
    package func dropAnsweredBodies() throws {
        try db.run(
            sql: """
                DELETE FROM outpost_sent_batches WHERE batch_id NOT IN (
                    SELECT batch_id FROM sync_queue WHERE status = 'processing' AND batch_id IS NOT NULL)
                """
        )
    }

    /// Up to `limit` pending entries of at least `minimumPriority`, highest priority first, then
    /// oldest stamp. Rows held for a person are skipped.
    ///
    /// - Parameter besideInFlight: skip rows that also have an entry in flight (for a batch
    ///   planned while another is still unanswered, whose base for them is not known yet).
    package func pending(minimumPriority: Int, limit: Int, besideInFlight: Bool = false) throws -> [QueuedChange] {
        try fold()
        let inFlight =
            besideInFlight
            ? """
            AND NOT EXISTS (SELECT 1 FROM sync_queue p
                            WHERE p.table_name = q.table_name AND p.record_id = q.record_id
                              AND p.status = 'processing')
            """ : ""
        // The entries are read in push order from `idx_sync_queue_pending_order`, so a batch
        // reads about as many entries as it takes. The check for a row waiting for a person is
        // made only when some row waits (one probe instead of a probe per entry).
        let waiting =
            try Bool.fetchOne(
                cached: db,
                sql: "SELECT EXISTS (SELECT 1 FROM conflict_resolution WHERE status = 'pending' AND kind = 'sync')"
            ) ?? true
        let notWaiting =
            waiting
            ? """
            AND NOT EXISTS (SELECT 1 FROM conflict_resolution c
                            WHERE c.table_name = q.table_name AND c.record_id = q.record_id
                              AND c.status = 'pending' AND c.kind = 'sync')
            """ : ""
        return try Row.fetchAll(
            cached: db,
            sql: """
                SELECT q.id, q.table_name, q.record_id, q.priority, q.hlc FROM sync_queue q
                WHERE q.status = 'pending' AND q.priority >= ?
                  \(notWaiting)
                  \(inFlight)
                ORDER BY q.priority DESC, q.hlc
                LIMIT ?
                """,
            arguments: [minimumPriority, limit]
        ).map(Self.queuedChange)
    }

    /// Whether the row has an entry in flight (sent, not yet answered).
    package func isInFlight(table: String, key: String) throws -> Bool {
        try Bool.fetchOne(
            cached: db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ? AND record_id = ?
                               AND status = 'processing')
                """,
            arguments: [table, key]
        ) ?? false
    }

    /// The row's pending entry, if it has one.
    package func pendingEntry(table: String, key: String) throws -> QueuedChange? {
        try fold()
        return try Row.fetchOne(
            cached: db,
            sql: """
                SELECT id, table_name, record_id, priority, hlc FROM sync_queue
                WHERE table_name = ? AND record_id = ? AND status = 'pending'
                """,
            arguments: [table, key]
        ).map(Self.queuedChange)
    }

    /// One entry of a batch going out (``send(_:batchID:)``).
    package struct Sending: Sendable {
        package var id: Int64
        package var changeID: String
        package var baseVersion: Int64
        package var changeJSON: String

        package init(id: Int64, changeID: String, baseVersion: Int64, changeJSON: String) {
            self.id = id
            self.changeID = changeID
            self.baseVersion = baseVersion
            self.changeJSON = changeJSON
        }
    }

    /// Marks a batch's entries in flight, each with the change that carries it, its place in the
    /// batch (`entries`' order) and the base version it was planned on, and keeps the request
    /// `body` exactly as it goes on the wire (`encoding`: `gzip` or `identity`): what a resend
    /// after a crash sends again (one row for the body, not each change's text in its entry:
    /// see `StoreSchema.sentBatches`). A hundred entries a statement.
    package func send(_ entries: [Sending], batchID: String, body: [UInt8], encoding: String) throws {
        guard !entries.isEmpty else { return }
        for part in SQLList.parts(entries) {
            var arguments: [(any DatabaseValueConvertible)?] = [batchID]
            arguments.reserveCapacity(1 + part.count * 4)
            for (position, entry) in zip(part.indices, part) {
                arguments += [entry.id, entry.changeID, position, entry.baseVersion]
            }
            try db.run(
                sql: """
                    UPDATE sync_queue
                    SET status = 'processing', change_id = sent.column2, batch_id = ?, batch_position = sent.column3,
                        base_version = sent.column4, last_attempt = CURRENT_TIMESTAMP
                    FROM (VALUES \(SQLList.rows(part.count, width: 4))) AS sent
                    WHERE sync_queue.id = sent.column1
                    """,
                arguments: StatementArguments(arguments)
            )
        }
        try keep(body: body, encoding: encoding, of: batchID)
    }

    private func keep(body: [UInt8], encoding: String, of batchID: String) throws {
        try db.run(
            sql: "INSERT INTO outpost_sent_batches (batch_id, body, encoding) VALUES (?, ?, ?)",
            arguments: [batchID, Data(body), encoding]
        )
    }

    /// Completes the entries the hub confirmed, a hundred a statement.
    package func complete(_ ids: [Int64]) throws {
        for part in SQLList.parts(ids) {
            try db.run(
                sql: """
                    UPDATE sync_queue SET status = 'completed', error_message = NULL
                    WHERE id IN (\(SQLList.placeholders(part.count)))
                    """,
                arguments: StatementArguments(Array(part))
            )
        }
    }

    /// Moves in-flight entries to batch `batchID`, in the order given, with the `body` that
    /// carries them (as ``send(_:batchID:body:encoding:)`` keeps it).
    package func assign(_ ids: [Int64], toBatch batchID: String, body: [UInt8], encoding: String) throws {
        for (position, id) in ids.enumerated() {
            try db.run(
                sql: "UPDATE sync_queue SET batch_id = ?, batch_position = ? WHERE id = ?",
                arguments: [batchID, position, id]
            )
        }
        try keep(body: body, encoding: encoding, of: batchID)
        try dropAnsweredBodies()
    }

    /// Completes an entry: the hub confirmed it (`note` nil), or there was nothing to send.
    package func complete(_ id: Int64, note: String? = nil) throws {
        try db.run(
            sql: "UPDATE sync_queue SET status = 'completed', error_message = ? WHERE id = ?",
            arguments: [note, id]
        )
    }

    /// Puts an in-flight or failed entry back as the row's pending work, folded into a newer
    /// pending entry when one was captured meanwhile.
    package func requeue(_ id: Int64, table: String, key: String) throws {
        if try pendingEntry(table: table, key: key) != nil {
            try db.run(sql: "DELETE FROM sync_queue WHERE id = ?", arguments: [id])
        } else {
            try db.run(
                sql: """
                    UPDATE sync_queue SET status = 'pending', change_id = NULL, batch_id = NULL, batch_position = NULL,
                        base_version = NULL, data = NULL
                    WHERE id = ?
                    """,
                arguments: [id]
            )
        }
    }

    /// Puts every in-flight entry back as its row's pending work (``requeue(_:table:key:)``):
    /// for a node that moved to another hub, where the batch's base versions mean nothing.
    package func requeueInFlight() throws {
        let entries = try Row.fetchAll(
            db,
            sql: "SELECT id, table_name, record_id FROM sync_queue WHERE status = 'processing'"
        )
        for entry in entries { try requeue(entry["id"], table: entry["table_name"], key: entry["record_id"]) }
    }

    /// Parks an entry as failed (the dead letter): kept, shown by `outpost queue list`, sent
    /// again only after `outpost queue retry`.
    package func fail(_ id: Int64, reason: String) throws {
        try db.run(
            sql: """
                UPDATE sync_queue SET status = 'failed', error_message = ?, batch_id = NULL, batch_position = NULL,
                    change_id = NULL, data = NULL
                WHERE id = ?
                """,
            arguments: [reason, id]
        )
    }

    /// Counts a failed attempt for each of `ids`; returns those of batch `batchID` that have now
    /// used up their attempts.
    package func countAttempt(_ ids: [Int64], batchID: String, reason: String) throws -> [Int64] {
        for id in ids {
            try db.run(
                sql: "UPDATE sync_queue SET attempts = attempts + 1, error_message = ? WHERE id = ?",
                arguments: [reason, id]
            )
        }
        return try Int64.fetchAll(
            db,
            sql: """
                SELECT id FROM sync_queue
                WHERE status = 'processing' AND batch_id = ? AND attempts >= max_attempts
                """,
            arguments: [batchID]
        )
    }

    // MARK: Counts

    /// Entries not yet sent or not yet answered (`pending` and `processing`), counting the
    /// pending entries the capture log will add.
    package func unsentCount() throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT count(*) FROM sync_queue WHERE status = 'pending')
                     + (SELECT count(*) FROM sync_queue WHERE status = 'processing')
                     + (\(Self.newPendingCountSQL("")))
                """
        ) ?? 0
    }

    /// How many pending entries folding the capture log would add (rows of the log with no
    /// pending entry yet), as a subquery; `filter` narrows the log's rows (`AND …`).
    private static func newPendingCountSQL(_ filter: String) -> String {
        """
        SELECT count(*) FROM (SELECT DISTINCT table_name, record_id FROM outpost_capture WHERE true \(filter)) c
        WHERE NOT EXISTS (SELECT 1 FROM sync_queue q WHERE q.table_name = c.table_name AND q.record_id = c.record_id
                          AND q.status = 'pending')
        """
    }

    /// Whether anything waits to be pushed (one probe per partial index and one of the capture
    /// log; `status IN (…)` would scan the completed entries, every 10 ms in `outpost run`).
    package func hasUnsent() throws -> Bool {
        try Bool.fetchOne(
            cached: db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM sync_queue WHERE status = 'pending')
                    OR EXISTS (SELECT 1 FROM sync_queue WHERE status = 'processing')
                    OR EXISTS (SELECT 1 FROM outpost_capture)
                """
        ) ?? false
    }

    /// Entries of `table` the hub has not confirmed (pending, in flight, held), counting the
    /// pending entries the capture log will add.
    package func unconfirmedCount(table: String) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT count(*) FROM sync_queue
                        WHERE table_name = ?1 AND status IN ('pending', 'processing', 'conflict'))
                     + (\(Self.newPendingCountSQL("AND table_name = ?1")))
                """,
            arguments: [table]
        ) ?? 0
    }

    /// Each row of `table` with an unconfirmed change, and the status that matters most for it:
    /// a held or failed entry over a pending one (what `outpost verify` explains a difference by).
    /// A change still in the capture log is pending.
    package func unconfirmedStatuses(table: String) throws -> [String: QueueStatus] {
        var statuses: [String: QueueStatus] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT record_id, status FROM sync_queue WHERE table_name = ?1 AND status != 'completed'
                UNION ALL
                SELECT DISTINCT record_id, 'pending' FROM outpost_capture WHERE table_name = ?1
                """,
            arguments: [table]
        ) {
            guard let status = QueueStatus(rawValue: row["status"]) else { continue }
            let key: String = row["record_id"]
            if statuses[key] == nil || status != .pending { statuses[key] = status }
        }
        return statuses
    }

    /// Entry counts by status, the capture log's changes counted as the pending entries they
    /// will be.
    package func countsByStatus() throws -> [String: Int] {
        try grouped(
            """
            SELECT status, count(*) FROM sync_queue WHERE status != 'pending' GROUP BY status
            UNION ALL
            SELECT 'pending', pending FROM (
                SELECT (SELECT count(*) FROM sync_queue WHERE status = 'pending')
                     + (\(Self.newPendingCountSQL(""))) AS pending
            ) WHERE pending > 0
            """
        )
    }

    /// Entry counts by priority (as text keys, "10" … "1"), of entries with one of `statuses`;
    /// pending ones as the `outpost_pending` view shows them (the capture log folded in).
    package func countsByPriority(of statuses: [QueueStatus]) throws -> [String: Int] {
        let others = statuses.filter { $0 != .pending }.map { "'\($0.rawValue)'" }
        var parts: [String] = []
        if !others.isEmpty {
            parts.append("SELECT priority FROM sync_queue WHERE status IN (\(others.joined(separator: ", ")))")
        }
        if statuses.contains(.pending) { parts.append("SELECT priority FROM outpost_pending") }
        guard !parts.isEmpty else { return [:] }
        return try grouped(
            "SELECT CAST(priority AS TEXT), count(*) FROM (\(parts.joined(separator: " UNION ALL "))) GROUP BY priority"
        )
    }

    /// How many entries are failed.
    package func failedCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM sync_queue WHERE status = 'failed'") ?? 0
    }

    /// The newest stamp of any entry or captured change; 0 for an empty queue.
    package func newestStamp() throws -> Int64 {
        try Int64.fetchOne(
            db,
            sql: """
                SELECT max(coalesce((SELECT max(hlc) FROM sync_queue), 0),
                           coalesce((SELECT max(hlc) FROM outpost_capture), 0))
                """
        ) ?? 0
    }

    private func grouped(_ sql: String) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: sql) {
            result[(row[0] as String?) ?? "unknown"] = row[1]
        }
        return result
    }

    // MARK: Clean-up

    /// Drops the unconfirmed entries of `table` (untracking it); returns how many.
    package func discardUnconfirmed(table: String) throws -> Int {
        try fold()
        try db.execute(
            sql: "DELETE FROM sync_queue WHERE table_name = ? AND status IN ('pending', 'processing', 'conflict')",
            arguments: [table]
        )
        return db.changesCount
    }

    /// Deletes completed entries confirmed more than `days` days ago; returns how many.
    package func purgeCompleted(olderThanDays days: Int) throws -> Int {
        try db.execute(
            sql: """
                DELETE FROM sync_queue
                WHERE status = 'completed'
                  AND coalesce(last_attempt, created_at) < datetime('now', '-' || ? || ' days')
                """,
            arguments: [days]
        )
        return db.changesCount
    }

    /// Empties the queue and the capture log, for benchmarks that time capture alone.
    package func removeAll() throws {
        try db.execute(sql: "DELETE FROM sync_queue; DELETE FROM outpost_capture; DELETE FROM outpost_sent_batches")
    }

    private static func queuedChange(_ row: Row) -> QueuedChange {
        QueuedChange(
            id: row["id"],
            table: row["table_name"],
            key: row["record_id"],
            priority: row["priority"],
            hlc: row["hlc"]
        )
    }
}
