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
                        + "\(record.resolvedAt ?? "an unknown time"); nothing was changed.",
                    details: ["conflict_id": "\(id)"],
                    remedy: .showConflict(id: id)
                )
            }
            guard record.kind != .workspace else {
                throw OutpostError(
                    .failedPrecondition,
                    "Conflict \(id) is a definition file left conflicted by a git merge in the workspace; only a "
                        + "resolution that writes the file can settle it.",
                    details: ["conflict_id": "\(id)"],
                    remedy: .resolveWorkspaceFile(id: id)
                )
            }
            let address = try RowAddress(TableSchema.require(record.table, in: db), key: record.key)
            if let chosen = try Self.chosenRow(record, choice, address: address, in: db) {
                try Self.writeRow(chosen, at: address, bumpingVersion: record.kind == .version, in: db)
            }
            try Outbox(db).releaseHeld(table: address.schema.name, key: record.key)
            let written = try address.read(in: db) ?? .null
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
        address: RowAddress,
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
            return try address.read(in: db) ?? .null
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

    /// Writes `value`'s members into the row at `address`: an update when the row exists, else
    /// an insert; `null` deletes it. Column names are the schema's, never the input's.
    private static func writeRow(
        _ value: JSONValue,
        at address: RowAddress,
        bumpingVersion: Bool,
        in db: Database
    ) throws {
        let schema = address.schema
        guard case .object(let members) = value else {
            try address.delete(in: db)
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
                guard keyText(member.databaseValue) == keyText(address.keyValues[index]) else {
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
        var extra: [String] = []
        if bumpingVersion, schema.columns.contains("version"), !columns.contains("version") {
            extra.append("\"version\" = \"version\" + 1")
        }
        if schema.columns.contains("sync_status"), !columns.contains("sync_status") {
            extra.append("\"sync_status\" = 'pending'")
        }
        try address.write(columns, values, updating: extra, in: db)
    }

    // MARK: Keys

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
}
