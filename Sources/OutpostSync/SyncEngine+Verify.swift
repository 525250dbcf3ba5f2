import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore

extension SyncEngine {
    /// How many buckets each digest request cuts its range into, and up to how many rows the
    /// hub lists instead: a matching table costs one answer of about 1.5 KB, and each differing
    /// bucket a few more requests, each narrowing the range 64-fold.
    static let verifyBuckets = 64
    static let verifyRowsUpTo = 256

    /// Compares the node's tracked tables (or `tables`) with the hub's without moving data, and
    /// says why each differing row differs (``VerifyReport``).
    ///
    /// - Throws: ``SyncFailure``; `.store` for a table that is not tracked.
    public func verify(tables names: [String]? = nil, progress: @Sendable (String) -> Void = { _ in })
        async throws(SyncFailure) -> VerifyReport
    {
        let snapshots = try await guarded { try await store.read { db in try Self.verifySnapshots(names, in: db) } }
        var report = VerifyReport()
        for snapshot in snapshots {
            progress(snapshot.table)
            var table = VerifyReport.Table(
                table: snapshot.table,
                rows: snapshot.rows.count,
                requests: 0,
                differences: []
            )
            try await compare(snapshot, range: .all, into: &table, report: &report)
            table.differences.sort { $0.key < $1.key }
            report.tables.append(table)
        }
        return report
    }

    /// Narrows `range` to the buckets that differ, and classifies each differing row.
    private func compare(
        _ snapshot: VerifySnapshot,
        range: KeyHashRange,
        into table: inout VerifyReport.Table,
        report: inout VerifyReport
    ) async throws(SyncFailure) {
        let request = DigestRequest(
            table: snapshot.table,
            columns: snapshot.columns,
            range: range,
            buckets: Self.verifyBuckets,
            rowsUpTo: Self.verifyRowsUpTo
        )
        let exchange = try await client.digest(request)
        table.requests += 1
        report.bytesSent += exchange.bytesSent
        report.bytesReceived += exchange.bytesReceived
        let answer = exchange.value
        let local = snapshot.rows(in: range)
        if let rows = answer.rows {
            var hub: [String: DigestAnswer.Row] = [:]
            for row in rows { hub[row.key] = row }
            for key in Set(hub.keys).union(local.keys) {
                let hubHash = hub[key]?.hash
                let localHash = local[key]?.row
                guard hubHash != localHash else { continue }
                let presence: VerifyReport.Presence =
                    localHash == nil ? .hubOnly : hubHash == nil ? .nodeOnly : .both
                table.differences.append(
                    VerifyReport.Difference(
                        key: key,
                        presence: presence,
                        reason: snapshot.reason(for: key, hubSequence: hub[key]?.sequence)
                    )
                )
            }
            return
        }
        guard let buckets = answer.buckets, buckets.count == request.buckets else {
            throw .badAnswer("digest answer for \(snapshot.table) has neither rows nor \(request.buckets) buckets")
        }
        var localBuckets = Array(repeating: DigestAnswer.Bucket(), count: request.buckets)
        for hashes in local.values {
            localBuckets[range.bucket(of: hashes.key, count: request.buckets)].add(hashes.row)
        }
        for index in buckets.indices where buckets[index] != localBuckets[index] {
            // A bucket holding rows on either side is never empty.
            guard let narrower = range.bucketRange(index, count: request.buckets) else { continue }
            try await compare(snapshot, range: narrower, into: &table, report: &report)
        }
    }

    /// Every chosen tracked table's rows as hashes, with what could explain a difference.
    private static func verifySnapshots(_ names: [String]?, in db: Database) throws -> [VerifySnapshot] {
        let tables = try SyncedTable.load(in: db)
        var chosen = tables.values.sorted { $0.name < $1.name }
        if let names {
            chosen = try names.map { name in
                guard let table = tables.values.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                    throw OutpostError(
                        .notFound,
                        "Table '\(name)' is not tracked, so there is nothing to verify. Tracked: "
                            + "\(tables.keys.sorted().joined(separator: ", ")).",
                        details: ["table": name]
                    )
                }
                return table
            }
        }
        let cursor = try SyncState.value(.cursor, in: db)
        let filling = Set(try Store.tablesToFill(in: db).map(\.table))
        let parked = try Store.pendingConflictKinds(in: db)
        return try chosen.map { table in
            VerifySnapshot(
                table: table.name,
                columns: table.syncedColumns,
                rows: try localHashes(of: table, in: db),
                statuses: try Outbox(db).unconfirmedStatuses(table: table.name),
                conflicts: parked[table.name] ?? [:],
                pruned: try Store.prunedKeys(of: table.name, in: db),
                cursor: cursor,
                filling: filling.contains(table.name)
            )
        }
    }

    /// Each local row's key hash and row hash, computed from the row as a push would send it.
    private static func localHashes(of table: SyncedTable, in db: Database) throws -> [String: VerifySnapshot.Hashes] {
        let keyColumn = "outpost_verify_key"
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT CAST(\(CaptureTriggers.keyExpression(table.schema, row: "t")) AS TEXT) AS \(keyColumn), t.*
                FROM \(quoteIdentifier(table.name)) AS t
                """
        )
        var hashes: [String: VerifySnapshot.Hashes] = [:]
        while let row = try rows.next() {
            guard let key = row[keyColumn] as String? else { continue }
            hashes[key] = VerifySnapshot.Hashes(
                key: RowFingerprint.keyHash(key),
                row: RowFingerprint.rowHash(key: key, data: JSONValue(row), columns: table.syncedColumns)
            )
        }
        return hashes
    }
}

/// One table as the node holds it, for ``SyncEngine/verify(tables:progress:)``.
struct VerifySnapshot: Sendable {
    var table: String
    var columns: [String]
    /// A row's key hash (where it falls) and row hash (what it holds).
    struct Hashes: Sendable {
        var key: UInt64
        var row: UInt64
    }

    var rows: [String: Hashes]
    var statuses: [String: QueueStatus]
    /// Kind of the pending conflict record by key.
    var conflicts: [String: ConflictRecord.Kind]
    /// Keys retention removed from this node (the hub keeps them).
    var pruned: Set<String>
    var cursor: Int64
    var filling: Bool

    func rows(in range: KeyHashRange) -> [String: Hashes] {
        range == .all ? rows : rows.filter { range.contains($0.value.key) }
    }

    /// The first thing on the node that explains why `key` differs from the hub's copy.
    func reason(for key: String, hubSequence: Int64?) -> VerifyReport.Reason {
        switch statuses[key] {
        case .pending?, .processing?: return .pending
        case .conflict?: return .conflict
        case .failed?: return .failed
        case .completed?, nil: break
        }
        if let kind = conflicts[key] { return kind == .constraint ? .parked : .conflict }
        if rows[key] == nil, pruned.contains(key) { return .pruned }
        if let hubSequence, hubSequence > cursor { return .notPulled }
        if filling { return .notFilled }
        return .unexplained
    }
}

extension SyncEngine {
    /// Prepares a resync of `tables` (all tracked tables when `nil`); the next ``sync(progress:)``
    /// does it.
    ///
    /// By default the hub's rows are fetched again and a row that differs with nothing on the
    /// node to explain it takes the hub's copy. With `pushLocal`, such rows held here are the
    /// ones to keep (a table written behind capture's back): they are queued as edits of every
    /// column and pushed over the hub's copies instead; rows only the hub has are still fetched.
    ///
    /// - Returns: how many rows were queued to push (0 without `pushLocal`).
    @discardableResult
    public func resync(tables: [String]? = nil, pushLocal: Bool = false) async throws(SyncFailure) -> Int {
        var queued = 0
        if pushLocal {
            let report = try await verify(tables: tables)
            let synced = try await loadTables()
            queued = try await guarded {
                try await store.write { db in
                    var queued = 0
                    for table in report.tables {
                        guard let synced = synced[table.table] else { continue }
                        for difference in table.differences
                        where difference.reason == .unexplained && difference.presence != .hubOnly {
                            try BaseRows(db).forgetContent(table: table.table, key: difference.key)
                            try RowWriter.enqueue(table: synced, key: difference.key, deleted: false, in: db)
                            queued += 1
                        }
                    }
                    return queued
                }
            }
        }
        _ = try guarded { try store.requestResync(tables: tables) }
        return queued
    }
}
