import Foundation
import GRDB
import OutpostCore

/// Installs and removes the triggers that record every change to a synced table in `sync_queue`.
///
/// A trigger writes only what identifies the change: table, key, operation, priority and a
/// hybrid-logical-clock stamp, appended to the capture log `outpost_capture`. The row itself is
/// read when the change is pushed, so a trigger costs little more than the write it records.
/// Repeated edits of one row coalesce into its single pending entry when the log is folded into
/// `sync_queue` (``Outbox/fold()``, an upsert on the partial unique index
/// `idx_sync_queue_pending_row`).
///
/// The SQL is generated from the outbox's Swift rules: the upsert and its coalescing from
/// ``Outbox`` and ``QueueOperation/then(_:)``, the priority from ``CapturePriority``, the stamp
/// from ``ClockFloor``. It needs no custom SQL function, so triggers keep working in any SQLite
/// client. A local edit of a row always outranks the remote version it was based on, and stamps
/// never go back across restarts (see ``ClockFloor``). Rows the sync engine
/// applies from the hub are not echoed back: the engine inserts a row into `outpost_applying`
/// at the start of its transaction and deletes it before commit, so no other connection ever
/// sees it and their writes are captured as usual.
package enum CaptureTriggers {
    /// Tables Outpost keeps for itself; they are never synced as user data: the seed's queue
    /// and conflicts, and every name ``ReservedTableName`` reserves.
    static func isInternal(_ table: String) -> Bool {
        let lowered = table.lowercased()
        return lowered == "sync_queue" || lowered == "conflict_resolution" || ReservedTableName.isReserved(table)
    }

    /// Installs (or reinstalls) capture on `table` and records it in `outpost_tracked_tables`.
    /// When the table was not tracked before, its existing rows are queued too.
    ///
    /// `table` must already be the name as the schema spells it (see ``TableSchema``).
    /// - Returns: how many existing rows were queued (0 when capture was already installed).
    /// Each change's priority follows ``CapturePriority``.
    ///
    /// - Parameter progress: called with (rows queued, rows in the table) while existing rows
    ///   are queued, after every ``queueChunk`` rows of a large table.
    static func track(
        table: String,
        priority: Int,
        localColumns: [String],
        progress: (Int, Int) -> Void = { _, _ in },
        in db: Database
    ) throws -> Int {
        let schema = try TableSchema.require(table, in: db)
        guard !schema.primaryKey.isEmpty else {
            throw OutpostError(
                .invalidInput,
                "Table '\(table)' has no primary key, and Outpost identifies synced rows by their key. "
                    + "Recreate it with one (for example `id TEXT PRIMARY KEY`), then track it.",
                details: ["table": table]
            )
        }
        let columnsByName = Dictionary(schema.columns.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var local: [String] = []
        for requested in localColumns {
            guard let column = columnsByName[requested.lowercased()] else {
                throw OutpostError(
                    .invalidInput,
                    "Table '\(table)' has no column '\(requested)'. Its columns: \(schema.columns.joined(separator: ", ")).",
                    details: ["table": table, "column": requested]
                )
            }
            guard !schema.primaryKey.contains(column) else {
                throw OutpostError(
                    .invalidInput,
                    "Column '\(column)' is part of the primary key of '\(table)', so it cannot be local-only."
                )
            }
            local.append(column)
        }
        guard (1...10).contains(priority) else {
            throw OutpostError(
                .invalidInput,
                "Priority \(priority) is out of range; use 1 (background) to 10 (critical)."
            )
        }
        // Capturing already: its rows are queued as they change. A table dropped and made again
        // lost its triggers with it, so its rows are queued.
        let wasTracked = try isCapturing(schema.name, in: db)
        try db.execute(sql: Outbox.captureLogSQL)
        try dropTriggers(table: table, in: db)
        let statements = triggerStatements(schema: schema, priority: priority, localColumns: local)
        for statement in statements {
            try db.execute(sql: statement)
        }
        try db.execute(
            sql: """
                INSERT INTO outpost_tracked_tables (table_name, priority, key_columns, local_columns)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (table_name) DO UPDATE SET
                    priority = excluded.priority,
                    key_columns = excluded.key_columns,
                    local_columns = excluded.local_columns
                """,
            arguments: [
                table, priority,
                JSONValue.array(schema.primaryKey.map { .string($0) }).encoded(),
                JSONValue.array(local.map { .string($0) }).encoded(),
            ]
        )
        return wasTracked ? 0 : try queueExistingRows(schema, priority: priority, progress: progress, in: db)
    }

    /// Whether `table` (as the schema spells it) has its capture triggers: its insert trigger
    /// is there.
    static func isCapturing(_ table: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?)",
            arguments: ["outpost_capture_\(table)_insert"]
        ) ?? false
    }

    /// The row's key as `sync_queue.record_id` holds it, as SQL over `row` (`NEW`, `OLD` or the
    /// table): the value for a one-column key, `json_array(…)` of the values for a composite one.
    package static func keyExpression(_ schema: TableSchema, row: String) -> String {
        if schema.primaryKey.count == 1 { return "\(row).\(quoteIdentifier(schema.primaryKey[0]))" }
        return "json_array(" + schema.primaryKey.map { "\(row).\(quoteIdentifier($0))" }.joined(separator: ", ") + ")"
    }

    /// Rows queued per statement when existing rows are queued with progress.
    static let queueChunk = 100_000

    /// Queues every row of a table that was not tracked until now, as if each had just been
    /// written: rows written before `track` (or while the table was untracked) sync too. A row
    /// whose base equals it sends nothing. A million rows take seconds: one statement per
    /// ``queueChunk`` rows in rowid order (one for the whole of a `WITHOUT ROWID` table),
    /// reporting progress between them, all in the caller's transaction.
    ///
    /// - Returns: how many rows were queued (rows that already had a pending entry keep it).
    private static func queueExistingRows(
        _ schema: TableSchema,
        priority: Int,
        progress: (Int, Int) -> Void,
        in db: Database
    ) throws -> Int {
        let table = quoteIdentifier(schema.name)
        let rule = CapturePriority(schema: schema, priority: priority)
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
        // Changes captured before (of a table dropped and made again) stay earlier.
        try Outbox(db).fold()
        let hasRowID =
            try Bool.fetchOne(
                db,
                sql: "SELECT NOT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?",
                arguments: [schema.name]
            ) ?? false
        func queue(_ selection: String, _ arguments: StatementArguments = []) throws -> Int {
            try db.execute(
                sql: """
                    INSERT INTO sync_queue (table_name, record_id, operation, priority, hlc)
                    SELECT \(quoteLiteral(schema.name)), \(keyExpression(schema, row: table)), 'INSERT',
                           \(rule.sql(row: table)), \(ClockFloor.freshStampSQL)
                    FROM \(table) \(selection)
                    ON CONFLICT (table_name, record_id) WHERE status = 'pending' DO NOTHING
                    """,
                arguments: arguments
            )
            return db.changesCount
        }
        guard hasRowID, total > queueChunk else {
            let queued = try queue("WHERE true")
            progress(total, total)
            return queued
        }
        var queued = 0
        var seen = 0
        var last = Int64.min
        while let upper = try Int64.fetchOne(
            db,
            sql: "SELECT max(rowid) FROM (SELECT rowid FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?)",
            arguments: [last, queueChunk]
        ) {
            queued += try queue("WHERE rowid > ? AND rowid <= ?", [last, upper])
            seen = min(total, seen + queueChunk)
            progress(seen, total)
            last = upper
        }
        return queued
    }

    static func dropTriggers(table: String, in db: Database) throws {
        for suffix in ["insert", "update", "rekey", "delete"] {
            try db.execute(sql: "DROP TRIGGER IF EXISTS \(triggerName(table, suffix))")
        }
    }

    static func triggerName(_ table: String, _ suffix: String) -> String {
        quoteIdentifier("outpost_capture_\(table)_\(suffix)")
    }

    private static func triggerStatements(schema: TableSchema, priority: Int, localColumns: [String]) -> [String] {
        let table = quoteIdentifier(schema.name)
        let tableLiteral = quoteLiteral(schema.name)
        let guardClause = "WHEN NOT EXISTS (SELECT 1 FROM outpost_applying)"

        func key(_ row: String) -> String { keyExpression(schema, row: row) }
        let rule = CapturePriority(schema: schema, priority: priority)
        func capture(_ operation: QueueOperation, _ row: String) -> String {
            Outbox.captureSQL(
                table: tableLiteral,
                key: key(row),
                operation: "'\(operation.rawValue)'",
                priority: rule.sql(row: row),
                stamp: ClockFloor.freshStampSQL
            )
        }

        // Without local-only columns the update trigger watches every column, including ones a
        // later ALTER TABLE adds. With them it lists the synced columns.
        let local = Set(localColumns)
        let updateOf =
            local.isEmpty
            ? "" : " OF " + schema.columns.filter { !local.contains($0) }.map(quoteIdentifier).joined(separator: ", ")
        let keyChanged = schema.primaryKey.map { "OLD.\(quoteIdentifier($0)) IS NOT NEW.\(quoteIdentifier($0))" }
            .joined(separator: " OR ")
        let keyColumns = schema.primaryKey.map(quoteIdentifier).joined(separator: ", ")

        return [
            """
            CREATE TRIGGER \(triggerName(schema.name, "insert")) AFTER INSERT ON \(table)
            \(guardClause)
            BEGIN
            \(capture(.insert, "NEW"))
            END
            """,
            """
            CREATE TRIGGER \(triggerName(schema.name, "update")) AFTER UPDATE\(updateOf) ON \(table)
            \(guardClause)
            BEGIN
            \(capture(.update, "NEW"))
            END
            """,
            // A changed key is a delete of the old key plus a write of the new one.
            """
            CREATE TRIGGER \(triggerName(schema.name, "rekey")) AFTER UPDATE OF \(keyColumns) ON \(table)
            WHEN (\(keyChanged)) AND NOT EXISTS (SELECT 1 FROM outpost_applying)
            BEGIN
            \(capture(.delete, "OLD"))
            END
            """,
            """
            CREATE TRIGGER \(triggerName(schema.name, "delete")) AFTER DELETE ON \(table)
            \(guardClause)
            BEGIN
            \(capture(.delete, "OLD"))
            END
            """,
        ]
    }
}

/// `"name"` with embedded quotes doubled: safe to splice as an SQL identifier.
package func quoteIdentifier(_ name: String) -> String {
    quote(name, with: UInt8(ascii: "\""))
}

/// `'text'` with embedded quotes doubled: safe to splice as an SQL string literal.
package func quoteLiteral(_ text: String) -> String {
    quote(text, with: UInt8(ascii: "'"))
}

/// `text` between two `mark`s, each `mark` inside doubled. The sync engine quotes names for
/// every row it writes, so this works on UTF-8 bytes: Foundation's `replacingOccurrences` was
/// 2.5 % of a pull's CPU.
private func quote(_ text: String, with mark: UInt8) -> String {
    var bytes: [UInt8] = [mark]
    bytes.reserveCapacity(text.utf8.count + 2)
    for byte in text.utf8 {
        bytes.append(byte)
        if byte == mark { bytes.append(mark) }
    }
    bytes.append(mark)
    return String(decoding: bytes, as: UTF8.self)
}
