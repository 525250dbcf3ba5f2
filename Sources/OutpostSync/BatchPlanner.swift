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
        /// The change as JSON text, as the outbox records it and the request carries it.
        var encoded: String
        /// The change's data as JSON text, when the batch was planned here (not read back from
        /// the outbox): a whole row's becomes its base without being encoded again.
        var dataText: String? = nil
    }

    var id: String
    var entries: [Entry]
    var schemas: [String: [String]]
    var declarations: [String: TableDeclaration]
    /// The request as it goes on the wire, kept by the store while the batch is in flight.
    var wire: PushBody

    /// A batch of `entries`, declaring the columns (and their types and key) of their tables;
    /// its body is `wire` when it was sent before, else encoded from the entries.
    init(id: String, entries: [Entry], tables: [String: SyncedTable], wire: PushBody? = nil) {
        self.id = id
        self.entries = entries
        var schemas: [String: [String]] = [:]
        var declarations: [String: TableDeclaration] = [:]
        for entry in entries where schemas[entry.change.table] == nil {
            guard let table = tables[entry.change.table] else { continue }
            schemas[table.name] = table.syncedColumns
            declarations[table.name] = table.declaration
        }
        self.schemas = schemas
        self.declarations = declarations
        let request = PushRequest(
            batchID: id,
            changes: entries.map(\.change),
            schemas: schemas,
            declarations: declarations
        )
        self.wire = wire ?? PushBody(json: request.encoded(changes: entries.map(\.encoded)))
    }

    var request: PushRequest {
        PushRequest(batchID: id, changes: entries.map(\.change), schemas: schemas, declarations: declarations)
    }

    /// Whether the batch carries a critical change, which may use the bandwidth reserve.
    var isCritical: Bool { entries.contains { $0.priority >= 10 } }
}

/// The push side of the outbox's policy: which entries go next, in what order, what each sends,
/// and how the hub's answers are written back. The queue itself is ``Outbox``'s; every function
/// runs inside the caller's write transaction.
enum BatchPlanner {
    /// The batch sent last whose answer never came (a crash, a cut connection), to send again
    /// exactly as before: the same body, byte for byte. When only some of its entries are still
    /// in flight (a refused batch split, and the node stopped between its halves), those go
    /// under the same id, each as it was sent.
    static func inFlight(tables: [String: SyncedTable], in db: Database) throws -> OutgoingBatch? {
        guard let sent = try Outbox(db).inFlightBatch() else { return nil }
        guard let body = sent.body, let encoding = sent.bodyEncoding else {
            // Sent by a store before migration v12: each entry holds its change.
            let entries = try sent.entries.map { entry in
                guard let json = entry.sentJSON else {
                    throw OutpostError(
                        .storage,
                        "Batch \(sent.id) is in flight, but neither a kept body nor its entries hold what it sent."
                    )
                }
                return OutgoingBatch.Entry(
                    queueID: entry.id,
                    change: try Change(json: JSONValue(parsing: json)),
                    priority: entry.priority,
                    encoded: json
                )
            }
            return OutgoingBatch(id: sent.id, entries: entries, tables: tables)
        }
        let wire = PushBody(stored: body, encoding: encoding)
        guard case .array(let changes)? = try JSONValue(parsing: wire.json())["changes"] else {
            throw OutpostError(.storage, "The body kept for batch \(sent.id) in flight holds no list of changes.")
        }
        let entries = try sent.entries.map { entry in
            guard changes.indices.contains(entry.position) else {
                throw OutpostError(
                    .storage,
                    "The body kept for batch \(sent.id) in flight holds \(changes.count) changes, but an entry "
                        + "was sent at position \(entry.position)."
                )
            }
            let change = changes[entry.position]
            return OutgoingBatch.Entry(
                queueID: entry.id,
                change: try Change(json: change),
                priority: entry.priority,
                encoded: change.encoded()
            )
        }
        let whole = sent.entries.map(\.position) == Array(changes.indices)
        return OutgoingBatch(id: sent.id, entries: entries, tables: tables, wire: whole ? wire : nil)
    }

    /// Takes up to `limit` pending entries (highest priority first, then oldest stamp), adds the
    /// queued parents they reference, orders them parents first, and marks them in flight.
    /// Entries with nothing to send (a row created and deleted between pushes, an edit undone)
    /// are completed on the way. Rows held for a person are skipped.
    ///
    /// - Parameters:
    ///   - refused: counts entries parked as failed on the way, without being sent (a table no
    ///     longer tracked, a value that cannot travel).
    ///   - besideInFlight: plan while another batch is still unanswered: rows in flight and rows
    ///     whose parent is in flight are left for later, so the two batches share no row and
    ///     depend on each other in no order (after a crash they may be sent again either way).
    static func next(
        limit: Int,
        minimumPriority: Int,
        tables: [String: SyncedTable],
        refused: inout Int,
        besideInFlight: Bool = false,
        in db: Database
    ) throws -> OutgoingBatch? {
        struct Candidate {
            var queueID: Int64
            var table: String
            var key: String
            var priority: Int
            var hlc: Int64
            var order: Int
        }
        let outbox = Outbox(db)
        let selected = try outbox.pending(
            minimumPriority: minimumPriority,
            limit: limit,
            besideInFlight: besideInFlight
        )
        guard !selected.isEmpty else { return nil }
        var candidates: [Candidate] = selected.enumerated().map { index, entry in
            Candidate(
                queueID: entry.id,
                table: entry.table,
                key: entry.key,
                priority: entry.priority,
                hlc: entry.hlc,
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
            guard let row = try RowWriter.localValue(of: table, key: candidate.key, in: db) else { continue }
            for parent in table.parents {
                guard let parentKey = try Self.recordID(of: parent.columns, in: row, db: db) else { continue }
                // A row whose parent is in flight must reach the hub after it: planned later.
                if besideInFlight, try outbox.isInFlight(table: parent.table, key: parentKey) { return nil }
                guard included.insert("\(parent.table)\u{0}\(parentKey)").inserted,
                    let queued = try outbox.pendingEntry(table: parent.table, key: parentKey)
                else { continue }
                candidates.append(
                    Candidate(
                        queueID: queued.id,
                        table: parent.table,
                        key: parentKey,
                        priority: queued.priority,
                        hlc: queued.hlc,
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
        var reader = PushRowReader(db)
        var entries: [OutgoingBatch.Entry] = []
        // Marked in flight together once chosen, at their places in the batch.
        var sending: [Outbox.Sending] = []
        for candidate in candidates {
            guard let table = tables[candidate.table] else {
                try fail(
                    queueID: candidate.queueID,
                    reason: "table '\(candidate.table)' is no longer tracked or no longer exists",
                    in: db
                )
                refused += 1
                continue
            }
            let planned: Change?
            do {
                planned = try change(
                    for: candidate.key,
                    of: table,
                    hlc: candidate.hlc,
                    ids: &ids,
                    reader: &reader,
                    in: db
                )
            } catch let refusal as UnsendableRow {
                try fail(queueID: candidate.queueID, reason: refusal.reason, in: db)
                refused += 1
                continue
            }
            guard var change = planned else {
                try outbox.complete(candidate.queueID, note: "nothing to send")
                try RowWriter.markSynced(table: table, key: candidate.key, in: db)
                continue
            }
            // The hub keeps a priority other than the default with the row, so a site hub sends
            // the change up its WAN link in the order this node would.
            if candidate.priority != CapturePriority.default { change.priority = candidate.priority }
            let dataText = change.data?.encoded()
            let encoded = change.encoded(dataText: dataText)
            sending.append(
                Outbox.Sending(
                    id: candidate.queueID,
                    changeID: change.id,
                    baseVersion: change.baseVersion,
                    changeJSON: encoded
                )
            )
            entries.append(
                .init(
                    queueID: candidate.queueID,
                    change: change,
                    priority: candidate.priority,
                    encoded: encoded,
                    dataText: dataText
                )
            )
        }
        guard !entries.isEmpty else {
            // Planned ahead, whatever was left out is planned once the other batch is answered.
            if besideInFlight { return nil }
            return try next(
                limit: limit,
                minimumPriority: minimumPriority,
                tables: tables,
                refused: &refused,
                in: db
            )
        }
        let batch = OutgoingBatch(id: batchID, entries: entries, tables: tables)
        try outbox.send(sending, batchID: batchID, body: batch.wire.storedBytes, encoding: batch.wire.encoding)
        return batch
    }

    /// What the row's pending entry sends: the row as it is now, only the columns changed since
    /// the hub's last state when that is known; a delete when the row is gone; `nil` when the
    /// hub already holds exactly this.
    private static func change(
        for key: String,
        of table: SyncedTable,
        hlc: Int64,
        ids: inout UUIDv7,
        reader: inout PushRowReader,
        in db: Database
    ) throws -> Change? {
        let base = try reader.base(table, key: key)
        let (read, holdsNUL) = try reader.read(table, key: key)
        guard let row = read else {
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
        if holdsNUL {
            let cut = try RowAddress(table.schema, key: key).columnsHoldingNUL(table.syncedColumns, in: db)
            throw UnsendableRow(
                reason: "column(s) \(cut.joined(separator: ", ")) hold the character U+0000 in their text, which "
                    + "would arrive cut short and which the hub cannot store; change the value (a BLOB can hold "
                    + "any bytes), then retry the change"
            )
        }
        if let base, case .object(let known)? = base.data, case .object(let current) = row {
            // A column the base lacks held nothing when the hub last wrote the row.
            let changed = current.filter { (known[$0.key] ?? .null) != $0.value }
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
        // The row's next change must outrank this one even within the same millisecond: the
        // triggers read the floor without raising it, so a confirmed stamp raises it here.
        try ClockFloor(db).confirm(own: batch.entries.map(\.change.hlc).max() ?? 0)
        var recordBase: PreparedStatement?
        // Completed together first (by index: copying each entry cost more than the statement).
        let applied = zip(batch.entries.indices, response.results).filter { $0.1.status == .applied }
            .map { batch.entries[$0.0].queueID }
        try Outbox(db).complete(applied)
        for (entry, result) in zip(batch.entries, response.results) {
            let change = entry.change
            guard let table = tables[change.table] else { continue }
            switch result.status {
            case .applied:
                let bases = BaseRows(db)
                // The base's data as text: a whole row's is the text the change carried.
                var dataText: String? = nil
                if change.operation == .upsert {
                    dataText = entry.dataText ?? change.data?.encoded()
                    if change.partial,
                        case .object(var members)? = try bases.base(table: change.table, key: change.key)?.data,
                        case .object(let changed)? = change.data
                    {
                        members.merge(changed) { _, new in new }
                        dataText = JSONValue.object(members).encoded()
                    }
                }
                if result.version > 0 {
                    let statement = try recordBase ?? bases.recordStatement()
                    recordBase = statement
                    try bases.record(
                        version: result.version,
                        dataText: dataText,
                        hlc: change.hlc,
                        origin: nodeID,
                        table: change.table,
                        key: change.key,
                        epoch: 0,
                        using: statement
                    )
                }
                try RowWriter.markSynced(table: table, key: change.key, in: db)
                tally.applied += 1
            case .refused:
                // The node may not make this change (its scope): parked with the hub's reason,
                // kept for a person to see, and sent again only when retried.
                let reason = result.refusal.map { "\($0.reason) (\($0.code))" } ?? "refused by the hub"
                try fail(queueID: entry.queueID, reason: reason, in: db)
                tally.refused += 1
            case .conflict:
                // The pushed change is not on the hub: it goes back to being the row's pending
                // work (folded into a newer pending entry if one was captured meanwhile), then
                // the row is merged with the hub's.
                try Outbox(db).requeue(entry.queueID, table: change.table, key: change.key)
                guard let current = result.current else { continue }
                switch try reconciler.take(current, table: table, epoch: 0, in: db) {
                case .parked: tally.parked += 1
                case .merged, .tookRemote: tally.merged += 1
                case .applied, .unchanged: break
                }
            }
        }
        // Every entry has left the batch: its kept body is not needed again.
        try Outbox(db).dropAnsweredBodies()
        return tally
    }

    /// Parks an entry as failed (the dead letter): kept, shown by `outpost queue list`, sent
    /// again only after `outpost queue retry`.
    static func fail(queueID: Int64, reason: String, in db: Database) throws {
        try Outbox(db).fail(queueID, reason: reason)
        try SyncState.add(1, to: .changesFailed, in: db)
    }

    /// A batch the hub failed on (5xx) counts an attempt for each of its entries; an entry out
    /// of attempts becomes failed, the rest are sent again later as the same batch.
    static func countAttempt(of batch: OutgoingBatch, reason: String, in db: Database) throws {
        let outbox = Outbox(db)
        let exhausted = try outbox.countAttempt(batch.entries.map(\.queueID), batchID: batch.id, reason: reason)
        for id in exhausted {
            try fail(queueID: id, reason: "gave up after the maximum attempts: \(reason)", in: db)
        }
        if !exhausted.isEmpty {
            // The survivors can no longer be sent as the old batch (its length changed).
            for entry in batch.entries where !exhausted.contains(entry.queueID) {
                try outbox.requeue(entry.queueID, table: entry.change.table, key: entry.change.key)
            }
        }
    }

    /// Gives the entries of a refused batch a new batch id, so each half is sent on its own.
    static func rebatch(_ entries: [OutgoingBatch.Entry], tables: [String: SyncedTable], in db: Database) throws
        -> OutgoingBatch
    {
        var ids = UUIDv7()
        let batch = OutgoingBatch(id: ids.next(), entries: entries, tables: tables)
        try Outbox(db).assign(
            entries.map(\.queueID),
            toBatch: batch.id,
            body: batch.wire.storedBytes,
            encoding: batch.wire.encoding
        )
        return batch
    }

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
    /// Changes the hub refused (outside the node's scope), now failed in the queue.
    var refused = 0
}

/// A row the engine must not send as it is; its change is parked as failed with `reason`.
struct UnsendableRow: Error {
    var reason: String
}
