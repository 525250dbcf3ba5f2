import Foundation
import GRDB
package import OutpostCore

/// Shared rules for the seed's versioned entities (agents, workflows): input checks, ids, and
/// the optimistic-concurrency update of the seed's `update_agent`, done without splicing names.
extension Store {
    /// A column the caller wants to set: the name comes from Outpost's code, never from input.
    struct Assignment {
        let column: StaticString
        let value: (any DatabaseValueConvertible)?
        let json: JSONValue
    }

    enum VersionedUpdate: Sendable {
        case updated
        case conflict(recordedAs: Int64, current: Int)
        case missing
    }

    /// The rows of `table` that match every filter given a value, in `order`: the list queries
    /// of workflows and executions. The names come from Outpost's code, never from input.
    static func rows(
        of table: StaticString,
        where filters: [(column: StaticString, value: String?)],
        orderBy order: StaticString,
        in db: Database
    ) throws -> [Row] {
        let given = filters.compactMap { filter in filter.value.map { ("\(filter.column) = ?", $0) } }
        let clause = given.isEmpty ? "" : " WHERE " + given.map(\.0).joined(separator: " AND ")
        return try Row.fetchAll(
            db,
            sql: "SELECT * FROM \(table)\(clause) ORDER BY \(order)",
            arguments: StatementArguments(given.map(\.1))
        )
    }

    /// Applies `assignments` to row `id` of `table` if its version is `expectedVersion` (or
    /// always, when that is nil), bumping `version`. On a mismatch it records a conflict in
    /// `conflict_resolution` (in the same transaction) and changes nothing else.
    func updateVersioned(
        table: StaticString,
        id: String,
        assignments: [Assignment],
        expectedVersion: Int?,
        in db: Database
    ) throws -> VersionedUpdate {
        let tableName = "\(table)"
        guard
            let current = try Row.fetchOne(db, sql: "SELECT * FROM \(tableName) WHERE id = ?", arguments: [id])
        else { return .missing }
        let currentVersion: Int = current["version"] ?? 1
        if let expectedVersion, expectedVersion != currentVersion {
            let attempted = JSONValue.object(
                Dictionary(uniqueKeysWithValues: assignments.map { ("\($0.column)", $0.json) })
            )
            let differing = assignments.filter { assignment in
                (assignment.value?.databaseValue ?? .null) != (current["\(assignment.column)"] as DatabaseValue)
            }
            let fields = JSONValue.array(differing.map { "\($0.column)" }.sorted().map(JSONValue.string))
            try db.execute(
                sql: """
                    INSERT INTO conflict_resolution
                        (table_name, record_id, local_version, remote_version, local_data, remote_data,
                         resolution_strategy, status, kind, fields)
                    VALUES (?, ?, ?, ?, ?, ?, 'manual', 'pending', 'version', ?)
                    """,
                arguments: [
                    tableName, id, expectedVersion, currentVersion, attempted.encoded(),
                    JSONValue(current).encoded(), fields.encoded(),
                ]
            )
            return .conflict(recordedAs: db.lastInsertedRowID, current: currentVersion)
        }
        let setClause = assignments.map { "\($0.column) = ?" } + ["version = version + 1", "sync_status = 'pending'"]
        try db.execute(
            sql: "UPDATE \(tableName) SET \(setClause.joined(separator: ", ")) WHERE id = ?",
            arguments: StatementArguments(assignments.map(\.value) + [id])
        )
        return .updated
    }

    /// Throws the message for a versioned update that did not happen.
    func check(
        _ outcome: VersionedUpdate,
        entity: String,
        listing: OutpostError.Listing,
        id: String,
        expectedVersion: Int?
    ) throws(OutpostError) {
        switch outcome {
        case .updated:
            return
        case .missing:
            throw OutpostError(.notFound, "No \(entity) with id '\(id)'.", remedy: .list(listing))
        case .conflict(let conflictID, let current):
            throw OutpostError(
                .versionConflict,
                "The \(entity) '\(id)' is at version \(current), not \(expectedVersion ?? 0) as expected: it changed "
                    + "since you read it, so nothing was updated. Recorded as conflict \(conflictID).",
                details: ["conflict_id": "\(conflictID)", "current_version": "\(current)"],
                remedy: .retry(expectedVersion: current)
            )
        }
    }

    /// Checks an id given by a person, or makes a new time-ordered one.
    static func validatedID(_ id: String?) throws(OutpostError) -> String {
        guard let id else {
            var ids = UUIDv7()
            return ids.next()
        }
        try validateText(id, field: "id", maximumLength: 200)
        return id
    }

    /// Refuses empty, over-long or control-character text in names, types and statuses.
    package static func validateText(_ text: String, field: String, maximumLength: Int = 500) throws(OutpostError) {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OutpostError(.invalidInput, "The \(field) must not be empty.")
        }
        guard text.count <= maximumLength else {
            throw OutpostError(
                .invalidInput,
                "The \(field) is \(text.count) characters long; at most \(maximumLength) are allowed."
            )
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw OutpostError(.invalidInput, "The \(field) contains a control character; use printable text.")
        }
    }

    /// `true` when the database says the row's id is taken.
    static func isDuplicateKey(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
    }

    static func isForeignKeyViolation(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY
    }
}
