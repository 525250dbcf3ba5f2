import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore

/// A batch of queued changes on its way to the hub.
struct OutgoingBatch: Sendable {
    struct Entry: Sendable {
        var queueID: Int64
        var change: Change
        var priority: Int
    }

    var id: String
    var entries: [Entry]
    var schemas: [String: [String]]

    var request: PushRequest {
        PushRequest(batchID: id, changes: entries.map(\.change), schemas: schemas)
    }

    /// Whether the batch carries a critical change, which may use the bandwidth reserve.
    var isCritical: Bool { entries.contains { $0.priority >= 10 } }
}

/// The push side of the queue: which entries go next, what each sends, and how the hub's
/// answers are written back. Every function runs inside the caller's write transaction.
enum Outbox {
    /// The batch sent last whose answer never came (a crash, a cut connection), to send again
    /// exactly as before: same batch id, same changes, same order.
    static func inFlight(tables: [String: SyncedTable], in db: Database) throws -> OutgoingBatch? {
        guard
            let batchID = try String.fetchOne(
                cached: db,
                sql:
                    """
                    SELECT batch_id FROM sync_queue
                    WHERE status = 'processing' AND batch_id IS NOT NULL
                    LIMIT 1
                    """
            )
        else { return nil }
        var entries: [OutgoingBatch.Entry] = []
        for row in try Row.fetchAll(
            cached: db,
            sql:
                """
                SELECT id, priority, data FROM sync_queue
                WHERE status = 'processing' AND batch_id = ?
                ORDER BY batch_position
                """,
            arguments: [batchID]
        ) {
            let change = try Change(json: JSONValue(parsing: row["data"] as String? ?? ""))
            entries.append(.init(queueID: row["id"], change: change, priority: row["priority"]))
        }
        return OutgoingBatch(id: batchID, entries: entries, schemas: schemas(of: entries, tables: tables))
    }

    /// Takes up to `limit` pending entries (highest priority first, then oldest stamp), adds the
    /// queued parents they reference, orders them parents first, and marks them in flight.
    /// Entries with nothing to send (a row created and deleted between pushes, an edit undone)
    /// are completed on the way. Rows held for a person are skipped.
    static func next(
        limit: Int,
        minimumPriority: Int,
        tables: [String: SyncedTable],
        in db: Database
    ) throws -> OutgoingBatch? {
        struct Candidate {
            var queueID: Int64
            var table: String
            var key: String
            var priority: Int
            var hlc: Int64
            var order: Int
            /// The row, once read for its parents, so it is not read twice.
            var row: JSONValue?? = nil
        }
        let selected = try Row.fetchAll(
            cached: db,
            sql: """
                SELECT q.id, q.table_name, q.record_id, q.priority, q.hlc FROM sync_queue q
                WHERE q.status = 'pending' AND q.priority >= ?
                  AND NOT EXISTS (SELECT 1 FROM conflict_resolution c
                                  WHERE c.table_name = q.table_name AND c.record_id = q.record_id
                                    AND c.status = 'pending' AND c.kind = 'sync')
                ORDER BY q.priority DESC, q.hlc
                LIMIT ?
                """,
            arguments: [minimumPriority, limit]
        )
        guard !selected.isEmpty else { return nil }
        var candidates: [Candidate] = selected.enumerated().map { index, row in
            Candidate(
                queueID: row["id"],
                table: row["table_name"],
                key: row["record_id"],
                priority: row["priority"],
                hlc: row["hlc"],
                order: index
            )
        }
        var included = Set(candidates.map { "\($0.table)\u{0}\($0.key)" })

        // Parents first: a queued row that a chosen row references joins the batch ahead of it.
        var index = 0
        while index < candidates.count {
            let candidate = candidates[index]
            index += 1
            guard let table = tables[candidate.table], !table.parents.isEmpty else { continue }
            let read = try RowWriter.localValue(of: table, key: candidate.key, in: db)
            candidates[index - 1].row = .some(read)
            guard let row = read else { continue }
            for parent in table.parents {
                guard let parentKey = try Self.recordID(of: parent.columns, in: row, db: db),
                    included.insert("\(parent.table)\u{0}\(parentKey)").inserted,
                    let queued = try Row.fetchOne(
                        cached: db,
                        sql:
                            "SELECT id, priority, hlc FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'pending'",
                        arguments: [parent.table, parentKey]
                    )
                else { continue }
                candidates.append(
                    Candidate(
                        queueID: queued["id"],
                        table: parent.table,
                        key: parentKey,
                        priority: queued["priority"],
                        hlc: queued["hlc"],
                        order: candidate.order
                    )
                )
            }
        }
        candidates.sort {
            (tables[$0.table]?.rank ?? 0, $0.order, $0.hlc) < (tables[$1.table]?.rank ?? 0, $1.order, $1.hlc)
        }

        var ids = UUIDv7()
        let batchID = ids.next()
        var entries: [OutgoingBatch.Entry] = []
        for candidate in candidates {
            guard let table = tables[candidate.table] else {
                try fail(
                    queueID: candidate.queueID,
                    reason: "table '\(candidate.table)' is no longer tracked or no longer exists",
                    in: db
                )
                continue
            }
            guard
                let change = try change(
                    for: candidate.key,
                    of: table,
                    row: candidate.row,
                    hlc: candidate.hlc,
                    ids: &ids,
                    in: db
                )
            else {
                try db.run(
                    sql: "UPDATE sync_queue SET status = 'completed', error_message = 'nothing to send' WHERE id = ?",
                    arguments: [candidate.queueID]
                )
                try RowWriter.markSynced(table: table, key: candidate.key, in: db)
                continue
            }
            try db.run(
                sql: """
                    UPDATE sync_queue
                    SET status = 'processing', change_id = ?, batch_id = ?, batch_position = ?, base_version = ?,
                        data = ?, last_attempt = CURRENT_TIMESTAMP
                    WHERE id = ?
                    """,
                arguments: [
                    change.id, batchID, entries.count, change.baseVersion, change.json.encoded(), candidate.queueID,
                ]
            )
            entries.append(.init(queueID: candidate.queueID, change: change, priority: candidate.priority))
        }
        guard !entries.isEmpty else {
            return try next(limit: limit, minimumPriority: minimumPriority, tables: tables, in: db)
        }
        return OutgoingBatch(id: batchID, entries: entries, schemas: schemas(of: entries, tables: tables))
    }

    /// What the row's pending entry sends: the row as it is now, only the columns changed since
    /// the hub's last state when that is known; a delete when the row is gone; `nil` when the
    /// hub already holds exactly this.
    private static func change(
        for key: String,
        of table: SyncedTable,
        row known: JSONValue??,
        hlc: Int64,
        ids: inout UUIDv7,
        in db: Database
    ) throws -> Change? {
        let base = try RowWriter.base(table: table.name, key: key, in: db)
        guard let row = try known ?? RowWriter.localValue(of: table, key: key, in: db) else {
            guard let base, base.data != nil else { return nil }
            return Change(
                id: ids.next(),
                table: table.name,
                key: key,
                operation: .delete,
                baseVersion: base.version,
                hlc: hlc
            )
        }
        if let base, case .object(let known)? = base.data, case .object(let current) = row {
            let changed = current.filter { known[$0.key] != $0.value }
            guard !changed.isEmpty else { return nil }
            return Change(
                id: ids.next(),
                table: table.name,
                key: key,
                operation: .upsert,
                baseVersion: base.version,
                data: .object(changed),
                partial: true,
                hlc: hlc
            )
        }
        return Change(
            id: ids.next(),
            table: table.name,
            key: key,
            operation: .upsert,
            baseVersion: base?.version ?? 0,
            data: row,
            hlc: hlc
        )
    }

    /// Writes back the hub's answer to `batch`: applied changes are completed and become the
    /// node's base; conflicts are merged or parked by `reconciler`.
    static func record(
        _ response: PushResponse,
        for batch: OutgoingBatch,
        tables: [String: SyncedTable],
        reconciler: Reconciler,
        nodeID: String,
        in db: Database
    ) throws -> PushTally {
        var tally = PushTally()
        for (entry, result) in zip(batch.entries, response.results) {
            let change = entry.change
            guard let table = tables[change.table] else { continue }
            switch result.status {
            case .applied:
                try db.run(
                    sql: "UPDATE sync_queue SET status = 'completed', error_message = NULL WHERE id = ?",
                    arguments: [entry.queueID]
                )
                var data: JSONValue? = nil
                if change.operation == .upsert {
                    data = change.data
                    if change.partial,
                        case .object(var members)? = try RowWriter.base(
                            table: change.table,
                            key: change.key,
                            in: db
                        )?.data, case .object(let changed)? = change.data
                    {
                        members.merge(changed) { _, new in new }
                        data = .object(members)
                    }
                }
                if result.version > 0 {
                    try RowWriter.setBase(
                        .init(version: result.version, data: data, hlc: change.hlc, origin: nodeID),
                        table: change.table,
                        key: change.key,
                        epoch: 0,
                        in: db
                    )
                }
                try RowWriter.markSynced(table: table, key: change.key, in: db)
                tally.applied += 1
            case .conflict:
                // The pushed change is not on the hub: it goes back to being the row's pending
                // work (folded into a newer pending entry if one was captured meanwhile), then
                // the row is merged with the hub's.
                try requeue(entry.queueID, table: change.table, key: change.key, in: db)
                guard let current = result.current else { continue }
                switch try reconciler.take(current, table: table, epoch: 0, in: db) {
                case .parked: tally.parked += 1
                case .merged, .tookRemote: tally.merged += 1
                case .applied, .unchanged: break
                }
            }
        }
        return tally
    }

    /// Puts an in-flight entry back in the queue as pending work.
    static func requeue(_ queueID: Int64, table: String, key: String, in db: Database) throws {
        let newerPending =
            try Bool.fetchOne(
                cached: db,
                sql:
                    "SELECT EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'pending')",
                arguments: [table, key]
            ) ?? false
        if newerPending {
            try db.run(sql: "DELETE FROM sync_queue WHERE id = ?", arguments: [queueID])
        } else {
            try db.run(
                sql: """
                    UPDATE sync_queue SET status = 'pending', change_id = NULL, batch_id = NULL, batch_position = NULL,
                        base_version = NULL, data = NULL
                    WHERE id = ?
                    """,
                arguments: [queueID]
            )
        }
    }

    /// Parks an entry as failed (the dead letter): kept, shown by `outpost queue list`, sent
    /// again only after `outpost queue retry`.
    static func fail(queueID: Int64, reason: String, in db: Database) throws {
        try db.run(
            sql: """
                UPDATE sync_queue SET status = 'failed', error_message = ?, batch_id = NULL, batch_position = NULL,
                    change_id = NULL, data = NULL
                WHERE id = ?
                """,
            arguments: [reason, queueID]
        )
        try SyncState.add(1, to: .changesFailed, in: db)
    }

    /// A batch the hub failed on (5xx) counts an attempt for each of its entries; an entry out
    /// of attempts becomes failed, the rest are sent again later as the same batch.
    static func countAttempt(of batch: OutgoingBatch, reason: String, in db: Database) throws {
        for entry in batch.entries {
            try db.run(
                sql: "UPDATE sync_queue SET attempts = attempts + 1, error_message = ? WHERE id = ?",
                arguments: [reason, entry.queueID]
            )
        }
        let exhausted = try Int64.fetchAll(
            db,
            sql: """
                SELECT id FROM sync_queue
                WHERE status = 'processing' AND batch_id = ?
                  AND attempts >= max_attempts
                """,
            arguments: [batch.id]
        )
        for id in exhausted {
            try fail(queueID: id, reason: "gave up after the maximum attempts: \(reason)", in: db)
        }
        if !exhausted.isEmpty {
            // The survivors can no longer be sent as the old batch (its length changed).
            for entry in batch.entries where !exhausted.contains(entry.queueID) {
                try requeue(entry.queueID, table: entry.change.table, key: entry.change.key, in: db)
            }
        }
    }

    /// Gives the entries of a refused batch a new batch id, so each half is sent on its own.
    static func rebatch(_ entries: [OutgoingBatch.Entry], tables: [String: SyncedTable], in db: Database) throws
        -> OutgoingBatch
    {
        var ids = UUIDv7()
        let batchID = ids.next()
        for (position, entry) in entries.enumerated() {
            try db.run(
                sql: "UPDATE sync_queue SET batch_id = ?, batch_position = ? WHERE id = ?",
                arguments: [batchID, position, entry.queueID]
            )
        }
        return OutgoingBatch(id: batchID, entries: entries, schemas: schemas(of: entries, tables: tables))
    }

    private static func schemas(of entries: [OutgoingBatch.Entry], tables: [String: SyncedTable]) -> [String: [String]]
    {
        var schemas: [String: [String]] = [:]
        for entry in entries where schemas[entry.change.table] == nil {
            schemas[entry.change.table] = tables[entry.change.table]?.syncedColumns
        }
        return schemas
    }

    /// A key value as `sync_queue.record_id` holds it.
    /// The record id that `columns` of `row` name, as the capture trigger writes it: the value
    /// for one column, SQLite's `json_array(…)` of the values for several; `nil` when a value is
    /// missing or null (the row references no parent).
    private static func recordID(of columns: [String], in row: JSONValue, db: Database) throws -> String? {
        if columns.count == 1 { return row[columns[0]].flatMap(keyText) }
        var values: [DatabaseValue] = []
        for column in columns {
            guard let value = row[column], value != .null else { return nil }
            values.append(value.databaseValue)
        }
        let placeholders = Array(repeating: "?", count: values.count).joined(separator: ", ")
        return try String.fetchOne(
            cached: db,
            sql: "SELECT json_array(\(placeholders))",
            arguments: StatementArguments(values)
        )
    }

    private static func keyText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .integer(let integer): "\(integer)"
        case .double(let double): "\(double)"
        default: nil
        }
    }
}

/// What one pushed batch did.
struct PushTally: Sendable {
    var applied = 0
    var merged = 0
    var parked = 0
}
