package import GRDB
package import OutpostCore
package import OutpostMerge

/// Conflicts a git merge in the workspace leaves for a person, kept in the manual conflict queue
/// (`conflict_resolution`, kind `workspace`) so `outpost conflicts list` shows them beside the
/// sync engine's. Unlike a sync conflict, such a record holds no row of a table: what it names
/// is a definition file, and resolving it writes that file (see docs/workspace.md).
extension Store {
    /// Parks a definition file the merge driver could not surely merge; a second merge of the
    /// same file updates the pending record instead of adding one.
    ///
    /// - Returns: the conflict's id.
    package static func recordWorkspaceConflict(
        _ conflict: Conflict,
        resolution: Resolution,
        in db: Database
    ) throws -> Int64 {
        try upsertPendingConflict(
            conflict,
            resolution: resolution,
            table: conflict.entityType,
            kind: .workspace,
            in: db
        )
    }

    /// The pending workspace conflict with `id`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown id, `.failedPrecondition` when it is
    ///   resolved already or is not a workspace conflict.
    package static func pendingWorkspaceConflict(id: Int64, in db: Database) throws -> ConflictRecord {
        guard let record = try fetchConflict(id: id, in: db) else { throw noConflict(id) }
        guard record.kind == .workspace else {
            throw OutpostError(
                .failedPrecondition,
                "Conflict \(id) is a \(record.kind.rawValue) conflict of \(record.table), not a workspace file.",
                details: ["conflict_id": "\(id)"],
                remedy: .resolveConflict(id: id)
            )
        }
        guard record.status == .pending else {
            throw OutpostError(
                .failedPrecondition,
                "Conflict \(id) was already resolved by \(record.resolvedBy ?? "someone"); nothing was changed.",
                details: ["conflict_id": "\(id)"]
            )
        }
        return record
    }

    /// Marks a workspace conflict resolved: who, when, how (`strategy`), and the file's content as
    /// written (`nil` when the file was removed).
    package static func settleWorkspaceConflict(
        id: Int64,
        written: JSONValue?,
        strategy: String,
        by person: String,
        in db: Database
    ) throws {
        try db.execute(
            sql: """
                UPDATE conflict_resolution
                SET status = 'resolved', resolved_by = ?, resolved_at = CURRENT_TIMESTAMP,
                    resolved_data = ?, resolution_strategy = ?
                WHERE id = ? AND kind = 'workspace'
                """,
            arguments: [person, written?.encoded(), strategy, id]
        )
    }
}
