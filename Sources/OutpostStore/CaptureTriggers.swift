import Foundation
import GRDB
import OutpostCore

/// Installs and removes the triggers that record every change to a synced table in `sync_queue`.
///
/// A trigger writes only what identifies the change: table, key, operation, priority and a
/// hybrid-logical-clock stamp. The row itself is read when the change is pushed, so a trigger
/// costs little more than the write it records. Repeated edits of one row coalesce into its
/// single pending entry (an upsert on the partial unique index `idx_sync_queue_pending_row`).
///
/// The stamp is computed in SQL, so triggers need no custom SQL function and keep working in any
/// SQLite client: `max(wall clock, floor + 1)`, where the floor (`outpost_clock`) is raised past
/// every stamp the node has seen (at open, and by the sync engine for remote stamps), and a
/// coalesced entry's stamp is also raised past its previous one. So a row's stamps only grow,
/// a local edit of a row always outranks the remote version it was based on, and stamps never go
/// back across restarts. Reading the floor instead of updating it in every trigger is 8% cheaper. Rows the sync engine
/// applies from the hub are not echoed back: the engine inserts a row into `outpost_applying`
/// at the start of its transaction and deletes it before commit, so no other connection ever
/// sees it and their writes are captured as usual.
enum CaptureTriggers {
    /// Tables Outpost keeps for itself; they are never synced as user data.
    static func isInternal(_ table: String) -> Bool {
        let lowered = table.lowercased()
        return lowered == "sync_queue" || lowered == "conflict_resolution" || lowered.hasPrefix("outpost_")
            || lowered.hasPrefix("sqlite_") || lowered.hasPrefix("grdb_")
    }

    /// Installs (or reinstalls) capture on `table` and records it in `outpost_tracked_tables`.
    ///
    /// `table` must already be the name as the schema spells it (see ``TableSchema``).
    /// - Parameter priorityColumn: a column whose value (1…10) is each row's priority, for
    ///   built-in tables that carry one (`files.priority`); else the table's `priority`.
    static func track(
        table: String,
        priority: Int,
        localColumns: [String],
        priorityColumn: String? = nil,
        in db: Database
    ) throws {
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
        try dropTriggers(table: table, in: db)
        let statements = triggerStatements(
            schema: schema,
            priority: priority,
            localColumns: local,
            priorityColumn: priorityColumn
        )
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
    }

    static func dropTriggers(table: String, in db: Database) throws {
        for suffix in ["insert", "update", "rekey", "delete"] {
            try db.execute(sql: "DROP TRIGGER IF EXISTS \(triggerName(table, suffix))")
        }
    }

    static func triggerName(_ table: String, _ suffix: String) -> String {
        quoteIdentifier("outpost_capture_\(table)_\(suffix)")
    }

    private static func triggerStatements(
        schema: TableSchema,
        priority: Int,
        localColumns: [String],
        priorityColumn: String?
    ) -> [String] {
        let table = quoteIdentifier(schema.name)
        let tableLiteral = quoteLiteral(schema.name)
        let guardClause = "WHEN NOT EXISTS (SELECT 1 FROM outpost_applying)"
        let hasStatus = schema.columns.contains { $0.lowercased() == "status" }

        func key(_ row: String) -> String {
            if schema.primaryKey.count == 1 { return "\(row).\(quoteIdentifier(schema.primaryKey[0]))" }
            return "json_array(" + schema.primaryKey.map { "\(row).\(quoteIdentifier($0))" }.joined(separator: ", ")
                + ")"
        }
        func priorityExpression(_ row: String) -> String {
            let base =
                priorityColumn.map { "max(1, min(10, coalesce(\(row).\(quoteIdentifier($0)), \(priority))))" }
                ?? "\(priority)"
            return hasStatus ? "CASE WHEN \(row).\"status\" = 'critical' THEN 10 ELSE \(base) END" : base
        }
        func capture(_ operation: String, _ row: String) -> String {
            """
            INSERT INTO sync_queue (table_name, record_id, operation, priority, hlc)
                VALUES (\(tableLiteral), \(key(row)), '\(operation)', \(priorityExpression(row)),
                        max(CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 65536, (SELECT hlc FROM outpost_clock WHERE id = 1) + 1))
                ON CONFLICT (table_name, record_id) WHERE status = 'pending' DO UPDATE SET
                    operation = CASE
                        WHEN excluded.operation = 'DELETE' THEN 'DELETE'
                        WHEN sync_queue.operation = 'DELETE' THEN 'UPDATE'
                        WHEN sync_queue.operation = 'INSERT' THEN 'INSERT'
                        ELSE excluded.operation
                    END,
                    priority = max(sync_queue.priority, excluded.priority),
                    hlc = max(excluded.hlc, sync_queue.hlc + 1);
            """
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
            \(capture("INSERT", "NEW"))
            END
            """,
            """
            CREATE TRIGGER \(triggerName(schema.name, "update")) AFTER UPDATE\(updateOf) ON \(table)
            \(guardClause)
            BEGIN
            \(capture("UPDATE", "NEW"))
            END
            """,
            // A changed key is a delete of the old key plus a write of the new one.
            """
            CREATE TRIGGER \(triggerName(schema.name, "rekey")) AFTER UPDATE OF \(keyColumns) ON \(table)
            WHEN (\(keyChanged)) AND NOT EXISTS (SELECT 1 FROM outpost_applying)
            BEGIN
            \(capture("DELETE", "OLD"))
            END
            """,
            """
            CREATE TRIGGER \(triggerName(schema.name, "delete")) AFTER DELETE ON \(table)
            \(guardClause)
            BEGIN
            \(capture("DELETE", "OLD"))
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
