import Foundation
package import GRDB
public import OutpostCore
import OutpostMerge

/// Resolving a parked conflict: the chosen row written, the row queued for push once, the
/// conflict marked resolved, in one transaction.
extension Store {
    /// Who resolves a conflict when no one is named: `$USER`, else `local-user`.
    public static var defaultResolverName: String {
        let user = ProcessInfo.processInfo.environment["USER"]?.trimmingCharacters(in: .whitespaces) ?? ""
        return user.isEmpty ? "local-user" : user
    }

    /// Resolves a pending conflict with a person's choice.
    ///
    /// ```swift
    /// try store.resolveConflict(id: 7, choosing: .suggestion("smart_merge"), by: "alice")
    /// try store.resolveConflict(id: 8, choosing: .data(["status": "paused"]))
    /// ```
    ///
    /// In one transaction it writes the chosen row into its table with ordinary SQL (so the
    /// capture triggers queue it), folds the row's held queue entries into its one `pending`
    /// entry, and marks the conflict `resolved` with `resolved_by`, `resolved_at`,
    /// `resolved_data` (the row as written) and `resolution_strategy` (``ConflictChoice/name``).
    ///
    /// What each choice writes:
    /// - sync conflicts: `.local` the row as it is on this node now (the recorded local row, or a
    ///   later local edit of it); `.remote`, `.merged` and suggestions their recorded row.
    /// - version conflicts (`--expected-version`): `.local` applies the attempted changes to the
    ///   current row and bumps its version; `.remote` writes nothing.
    /// - `.data`: the given columns over the current row (inserting it if it is gone); `null`
    ///   deletes the row.
    ///
    /// - Parameter person: recorded as `resolved_by`. Defaults to ``defaultResolverName``.
    /// - Returns: the resolved conflict.
    /// - Throws: ``OutpostError``, and nothing is written: `.notFound` for an unknown id,
    ///   `.failedPrecondition` when it is already resolved or has no merged version,
    ///   `.invalidInput` for an unknown suggestion, data that is not an object, an unknown column
    ///   or a changed key.
    @discardableResult
    public func resolveConflict(
        id: Int64,
        choosing choice: ConflictChoice,
        by person: String = Store.defaultResolverName
    ) throws(OutpostError) -> ConflictRecord {
        try Self.validateText(person, field: "name of who resolves (--by)", maximumLength: 200)
        return try write { db in
            guard let record = try Self.fetchConflict(id: id, in: db) else { throw Self.noConflict(id) }
            guard record.status == .pending else {
                throw OutpostError(
                    .failedPrecondition,
                    "Conflict \(id) was already resolved by \(record.resolvedBy ?? "someone") at "
                        + "\(record.resolvedAt ?? "an unknown time"); nothing was changed. "
                        + "See it with `outpost conflicts show \(id)`.",
                    details: ["conflict_id": "\(id)"]
                )
            }
            guard record.kind != .workspace else {
                throw OutpostError(
                    .failedPrecondition,
                    "Conflict \(id) is a definition file left conflicted by a git merge in the workspace; resolve it "
                        + "with `outpost conflicts resolve` or `outpost workspace resolve`, which write the file.",
                    details: ["conflict_id": "\(id)"]
                )
            }
            let schema = try TableSchema.require(record.table, in: db)
            let key = try Self.keyValues(record.key, of: schema)
            if let chosen = try Self.chosenRow(record, choice, schema: schema, key: key, in: db) {
                try Self.writeRow(chosen, into: schema, key: key, bumpingVersion: record.kind == .version, in: db)
            }
            try Self.settleQueue(table: schema.name, key: record.key, in: db)
            let written = try Self.currentRow(of: schema, key: key, in: db) ?? .null
            try db.execute(
                sql: """
                    UPDATE conflict_resolution
                    SET status = 'resolved', resolved_by = ?, resolved_at = CURRENT_TIMESTAMP,
                        resolved_data = ?, resolution_strategy = ?
                    WHERE id = ?
                    """,
                arguments: [person, written.encoded(), choice.name, id]
            )
            return try Self.fetchConflict(id: id, in: db)!
        }
    }

    // MARK: The row to write

    /// The row `choice` writes, or `nil` when it writes nothing.
    private static func chosenRow(
        _ record: ConflictRecord,
        _ choice: ConflictChoice,
        schema: TableSchema,
        key: [DatabaseValue],
        in db: Database
    ) throws -> JSONValue? {
        switch (record.kind, choice) {
        case (_, .data(let value)):
            guard case .object = value else {
                guard value == .null else {
                    throw OutpostError(
                        .invalidInput,
                        "--data must be a JSON object of column values (or null to delete the row), "
                            + "not a \(value.typeName). Nothing was written."
                    )
                }
                return .null
            }
            return value
        case (.version, .local):
            return record.attemptedChanges ?? .object([:])
        case (.version, .remote):
            return nil
        case (_, .local):
            return try currentRow(of: schema, key: key, in: db) ?? .null
        case (_, .remote):
            return record.remote ?? .null
        case (_, .merged):
            guard let merged = record.merged else {
                let why =
                    record.kind == .version
                    ? "an update with --expected-version records only the changes it tried"
                    : "the resolver's merge equals one of the sides"
                throw OutpostError(
                    .failedPrecondition,
                    "Conflict \(record.id) has no merged version (\(why)); nothing was written. "
                        + "Use --keep local, --keep remote or --data.",
                    details: ["conflict_id": "\(record.id)"]
                )
            }
            return merged
        case (_, .suggestion(let id)):
            guard let suggestion = record.suggestions.first(where: { $0.id == id }) else {
                let known = record.suggestions.map(\.id)
                throw OutpostError(
                    .invalidInput,
                    "Conflict \(record.id) has no suggestion '\(id)' (its suggestions: "
                        + "\(known.isEmpty ? "none" : known.joined(separator: ", "))); nothing was written. "
                        + "Use --keep local, remote, merged, one of its suggestions, or --data.",
                    details: ["conflict_id": "\(record.id)"]
                )
            }
            return suggestion.value
        }
    }

    /// Writes `value`'s members into the row with `key`: an update when the row exists, else an
    /// insert; `null` deletes it. Column names are the schema's, never the input's.
    private static func writeRow(
        _ value: JSONValue,
        into schema: TableSchema,
        key: [DatabaseValue],
        bumpingVersion: Bool,
        in db: Database
    ) throws {
        let table = quoteIdentifier(schema.name)
        let keyClause = schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
        guard case .object(let members) = value else {
            try db.execute(sql: "DELETE FROM \(table) WHERE \(keyClause)", arguments: StatementArguments(key))
            return
        }
        var columns: [String] = []
        var values: [DatabaseValue] = []
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let column = try schema.requireColumn(name)
            guard !columns.contains(column) else {
                throw OutpostError(
                    .invalidInput,
                    "The data names column '\(column)' twice (as '\(name)'); give each column once. Nothing was written."
                )
            }
            if let index = schema.primaryKey.firstIndex(of: column) {
                guard keyText(member.databaseValue) == keyText(key[index]) else {
                    throw OutpostError(
                        .invalidInput,
                        "The data sets key column '\(column)' to a different value than the conflicting row's; "
                            + "leave the key out or give the same value. Nothing was written.",
                        details: ["table": schema.name, "column": column]
                    )
                }
                continue
            }
            columns.append(column)
            values.append(member.databaseValue)
        }
        let exists =
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE \(keyClause))",
                arguments: StatementArguments(key)
            ) ?? false
        if exists {
            var assignments = columns.map { "\(quoteIdentifier($0)) = ?" }
            if bumpingVersion, schema.columns.contains("version"), !columns.contains("version") {
                assignments.append("\"version\" = \"version\" + 1")
            }
            if schema.columns.contains("sync_status"), !columns.contains("sync_status") {
                assignments.append("\"sync_status\" = 'pending'")
            }
            guard !assignments.isEmpty else { return }
            try db.execute(
                sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(keyClause)",
                arguments: StatementArguments(values + key)
            )
        } else {
            let all = schema.primaryKey + columns
            try db.execute(
                sql: """
                    INSERT INTO \(table) (\(all.map(quoteIdentifier).joined(separator: ", ")))
                    VALUES (\(all.map { _ in "?" }.joined(separator: ", ")))
                    """,
                arguments: StatementArguments(key + values)
            )
        }
    }

    // MARK: The queue

    /// Leaves the row with exactly one `pending` queue entry when it had held (`conflict`)
    /// entries: they are folded, oldest first, into the entry the write just captured (or, when
    /// the write captured nothing, into a fresh one), with the trigger's coalescing rules.
    private static func settleQueue(table: String, key: String, in db: Database) throws {
        let entries = try Row.fetchAll(
            db,
            sql: """
                SELECT id, operation, priority, hlc, status FROM sync_queue
                WHERE table_name = ? AND record_id = ? AND status IN ('conflict', 'pending')
                ORDER BY status = 'pending', id
                """,
            arguments: [table, key]
        )
        guard entries.contains(where: { $0["status"] as String == "conflict" }), let last = entries.last else { return }
        let pending = last["status"] as String == "pending"
        var operation: String = entries[0]["operation"]
        for entry in entries.dropFirst() {
            operation = coalesced(operation, then: entry["operation"])
        }
        let heldStamp = entries.filter { $0["status"] as String == "conflict" }.map { $0["hlc"] as Int64 }.max() ?? 0
        let stamp = pending ? last["hlc"] as Int64 : try freshStamp(in: db)
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

    /// The operation of two successive captured changes of one row, as the capture trigger
    /// coalesces them.
    private static func coalesced(_ earlier: String, then later: String) -> String {
        if later == "DELETE" { return "DELETE" }
        if earlier == "DELETE" { return "UPDATE" }
        if earlier == "INSERT" { return "INSERT" }
        return later
    }

    /// A stamp as a capture trigger makes one now: `max(wall clock, floor + 1)`, packed.
    package static func freshStamp(in db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db,
            sql: """
                SELECT max(CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 65536,
                           (SELECT hlc FROM outpost_clock WHERE id = 1) + 1)
                """
        ) ?? 0
    }

    // MARK: Keys and rows

    /// The primary-key values a conflict's key names: the key itself for a one-column key, the
    /// elements of its JSON array for a multi-column one.
    package static func keyValues(_ key: String, of schema: TableSchema) throws(OutpostError) -> [DatabaseValue] {
        switch schema.primaryKey.count {
        case 0:
            throw OutpostError(
                .failedPrecondition,
                "Table '\(schema.name)' has no primary key any more, so the conflicting row cannot be found. "
                    + "Give it its key back, then resolve the conflict."
            )
        case 1:
            return [key.databaseValue]
        default:
            guard case .array(let parts)? = try? JSONValue(parsing: key), parts.count == schema.primaryKey.count else {
                throw OutpostError(
                    .invalidInput,
                    "The conflict's key is not a JSON array of \(schema.primaryKey.count) values, as the key of "
                        + "'\(schema.name)' (\(schema.primaryKey.joined(separator: ", "))) needs.",
                    details: ["table": schema.name]
                )
            }
            return parts.map(\.databaseValue)
        }
    }

    /// A key value as text, so `5` and `"5"` name the same row as SQLite's affinity makes them.
    private static func keyText(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: ""
        case .int64(let integer): "\(integer)"
        case .double(let double): "\(double)"
        case .string(let string): string
        case .blob(let data): data.base64EncodedString()
        }
    }

    /// The row with `key` as JSON, or `nil` when there is none.
    package static func currentRow(of schema: TableSchema, key: [DatabaseValue], in db: Database) throws -> JSONValue? {
        let keyClause = schema.primaryKey.map { "\(quoteIdentifier($0)) = ?" }.joined(separator: " AND ")
        // Cached: the sync engine reads a row this way for every change it pushes or merges.
        return try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM \(quoteIdentifier(schema.name)) WHERE \(keyClause)"),
            arguments: StatementArguments(key)
        ).map(JSONValue.init)
    }
}
