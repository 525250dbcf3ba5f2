import Foundation
package import GRDB
public import OutpostCore
public import OutpostMerge

/// The manual conflict queue: conflicts a person must decide, parked in `conflict_resolution`.
///
/// The contract with the sync engine (docs/store.md, "The manual conflict queue"):
/// - ``recordConflict(_:resolution:)`` parks a conflict and *holds* the row: its `pending` (or
///   `processing`) queue entries get the status `conflict`, so nothing of it is pushed, and the
///   row keeps its local value.
/// - The engine never pushes a row while ``hasPendingSyncConflict(table:key:)`` is true, even
///   when a local edit made meanwhile gave it a new `pending` entry.
/// - ``resolveConflict(id:choosing:by:)`` writes the chosen row through ordinary SQL (so capture
///   queues it), folds the held entries into the row's single `pending` entry, and marks the
///   conflict resolved, all in one transaction.
extension Store {
    /// How many conflicts wait for a person (`outpost conflicts`), in the caller's transaction.
    package static func pendingConflictCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict_resolution WHERE status = 'pending'") ?? 0
    }

    /// Parks a conflict the resolver could not surely settle, and holds the row until a person
    /// decides.
    ///
    /// ```swift
    /// let resolution = resolver.resolve(conflict)
    /// if resolution.value == nil || resolution.needsApproval {
    ///     try store.recordConflict(conflict, resolution: resolution)
    /// }
    /// ```
    ///
    /// A row has at most one pending sync conflict: recording another for the same row updates
    /// that record (newer remote row, stamps, suggestions) and returns its id.
    ///
    /// - Returns: the conflict's id.
    /// - Throws: ``OutpostError`` `.notFound` for an unknown table, `.invalidInput` for an empty
    ///   key, `.storage` when the store cannot be written.
    @discardableResult
    public func recordConflict(_ conflict: Conflict, resolution: Resolution) throws(OutpostError) -> Int64 {
        try write { db in try Self.recordConflict(conflict, resolution: resolution, in: db) }
    }

    /// ``recordConflict(_:resolution:)`` inside the caller's transaction, for the sync engine.
    package static func recordConflict(_ conflict: Conflict, resolution: Resolution, in db: Database) throws -> Int64 {
        let schema = try TableSchema.require(conflict.entityType, in: db)
        guard !conflict.key.isEmpty else {
            throw OutpostError(.invalidInput, "A conflict needs the row's key; the key given is empty.")
        }
        let id = try upsertPendingConflict(conflict, resolution: resolution, table: schema.name, kind: .sync, in: db)
        try Outbox(db).hold(table: schema.name, key: conflict.key)
        return id
    }

    /// Parks a row from the hub that a local constraint refused (kind `constraint`), with
    /// SQLite's reason, inside the caller's transaction. The row's queue entries are not held:
    /// the node's own work on other rows, and on this one, goes on.
    ///
    /// - Returns: the conflict's id.
    package static func recordConstraintConflict(_ conflict: Conflict, reason: String, in db: Database) throws
        -> Int64
    {
        let resolution = Resolution(
            entityType: conflict.entityType,
            key: conflict.key,
            strategy: .manual,
            value: nil,
            fieldActions: [],
            confidence: 0,
            needsApproval: true,
            usedTwoWay: conflict.base == nil,
            suggestions: [],
            summary: "The hub's row could not be applied on this node: \(reason). Change the local row that "
                + "blocks it, then keep the hub's row (--keep remote), or keep this node's (--keep local)."
        )
        return try upsertPendingConflict(
            conflict,
            resolution: resolution,
            table: conflict.entityType,
            kind: .constraint,
            in: db
        )
    }

    /// Whether any hub row waits parked because a constraint refused it; asked once per pulled
    /// page, so rows are checked one by one only while some do.
    package static func hasPendingConstraintConflicts(in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM conflict_resolution WHERE status = 'pending' AND kind = 'constraint')"
        ) ?? false
    }

    /// Marks the row's parked `constraint` conflict resolved once a later version of the hub's
    /// row applied after all (the local row that blocked it changed).
    package static func settleConstraintConflict(table: String, key: String, in db: Database) throws {
        try db.execute(
            sql: """
                UPDATE conflict_resolution
                SET status = 'resolved', resolved_by = 'outpost sync', resolved_at = CURRENT_TIMESTAMP,
                    resolution_strategy = 'applied'
                WHERE table_name = ? AND record_id = ? AND status = 'pending' AND kind = 'constraint'
                """,
            arguments: [table, key]
        )
    }

    /// Records `conflict` as a pending record of `kind` for the row `table`/`conflict.key`, or
    /// updates the pending one of that kind the row already has; returns its id.
    static func upsertPendingConflict(
        _ conflict: Conflict,
        resolution: Resolution,
        table: String,
        kind: ConflictRecord.Kind,
        in db: Database
    ) throws -> Int64 {
        let merged = resolution.value ?? resolution.suggestions.first { $0.id == "smart_merge" }?.value
        let fields = ConflictField.compare(local: conflict.local, remote: conflict.remote, base: conflict.base)
            .filter { $0.change != .same }.map { JSONValue.string($0.name) }
        let values: [String: (any DatabaseValueConvertible)?] = [
            "local_version": conflict.localVersion, "remote_version": conflict.remoteVersion,
            "local_data": conflict.local.encoded(), "remote_data": conflict.remote.encoded(),
            "base_data": conflict.base?.encoded(), "local_hlc": conflict.localStamp.description,
            "remote_hlc": conflict.remoteStamp.description, "fields": JSONValue.array(fields).encoded(),
            "suggestions": JSONValue.array(resolution.suggestions.map(\.json)).encoded(),
            "merged_data": merged?.encoded(), "summary": resolution.summary,
            "resolution_strategy": resolution.strategy.name,
        ]
        let columns = values.keys.sorted()
        let arguments = columns.map { values[$0]! }
        if let existing = try Int64.fetchOne(
            db,
            sql: """
                SELECT id FROM conflict_resolution
                WHERE table_name = ? AND record_id = ? AND status = 'pending' AND kind = ?
                """,
            arguments: [table, conflict.key, kind.rawValue]
        ) {
            try db.execute(
                sql:
                    "UPDATE conflict_resolution SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                arguments: StatementArguments(arguments + [existing])
            )
            return existing
        }
        try db.execute(
            sql: """
                INSERT INTO conflict_resolution (table_name, record_id, kind, status, \(columns.joined(separator: ", ")))
                VALUES (?, ?, ?, 'pending', \(columns.map { _ in "?" }.joined(separator: ", ")))
                """,
            arguments: StatementArguments([table, conflict.key, kind.rawValue] + arguments)
        )
        return db.lastInsertedRowID
    }

    /// Parked conflicts, oldest first.
    ///
    /// - Parameter status: only conflicts with this status; `nil` lists every one. Defaults to
    ///   `.pending`.
    public func conflicts(status: ConflictRecord.Status? = .pending) throws(OutpostError) -> [ConflictRecord] {
        try read { db in
            var sql = "SELECT * FROM conflict_resolution"
            if status != nil { sql += " WHERE status = ?" }
            return try Row.fetchAll(
                db,
                sql: sql + " ORDER BY id",
                arguments: StatementArguments([status?.rawValue].compactMap { $0 })
            )
            .map(ConflictRecord.init(row:))
        }
    }

    /// The conflict with `id`, or `nil`.
    public func conflict(id: Int64) throws(OutpostError) -> ConflictRecord? {
        try read { db in try Self.fetchConflict(id: id, in: db) }
    }

    /// The conflict with `id`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when there is none.
    public func requireConflict(id: Int64) throws(OutpostError) -> ConflictRecord {
        guard let conflict = try conflict(id: id) else { throw Self.noConflict(id) }
        return conflict
    }

    /// Whether the row waits for a person: a pending sync conflict holds it, and the sync engine
    /// must not push it until the conflict is resolved.
    public func hasPendingSyncConflict(table: String, key: String) throws(OutpostError) -> Bool {
        try read { db in try Self.hasPendingSyncConflict(table: table, key: key, in: db) }
    }

    /// ``hasPendingSyncConflict(table:key:)`` inside the caller's transaction; one index lookup.
    package static func hasPendingSyncConflict(table: String, key: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM conflict_resolution
                               WHERE table_name = ? AND record_id = ? AND status = 'pending' AND kind = 'sync')
                """,
            arguments: [table, key]
        ) ?? false
    }

    /// The kind of each row's pending conflict record, by table and key.
    package static func pendingConflictKinds(in db: Database) throws -> [String: [String: ConflictRecord.Kind]] {
        var kinds: [String: [String: ConflictRecord.Kind]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT table_name, record_id, kind FROM conflict_resolution WHERE status = 'pending'"
        ) {
            guard let kind = ConflictRecord.Kind(rawValue: row["kind"]) else { continue }
            kinds[row["table_name"], default: [:]][row["record_id"]] = kind
        }
        return kinds
    }

    static func fetchConflict(id: Int64, in db: Database) throws -> ConflictRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM conflict_resolution WHERE id = ?", arguments: [id])
            .map(ConflictRecord.init(row:))
    }

    static func noConflict(_ id: Int64) -> OutpostError {
        OutpostError(
            .notFound,
            "No conflict with id \(id).",
            details: ["conflict_id": "\(id)"],
            remedy: .list(.conflicts)
        )
    }
}
