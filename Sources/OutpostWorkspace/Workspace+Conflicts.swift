import Foundation
import GRDB
public import OutpostCore
public import OutpostMerge
public import OutpostStore

/// Files a merge left for a person: recorded by the merge driver, listed by `status` and
/// `outpost conflicts list`, resolved from either.
extension Workspace {
    /// Records a file the merge driver could not surely merge, and links it from the index.
    ///
    /// - Returns: the conflict's id in `conflict_resolution`.
    @discardableResult
    public static func recordConflict(
        _ conflict: Conflict,
        resolution: Resolution,
        in store: Store
    ) throws(OutpostError) -> Int64 {
        guard let kind = ItemKind(folder: conflict.entityType) else {
            throw OutpostError(.invalidInput, "'\(conflict.entityType)' is not a workspace folder.")
        }
        let path = kind.path(of: conflict.key)
        return try store.write { db in
            let id = try Store.recordWorkspaceConflict(conflict, resolution: resolution, in: db)
            try db.execute(
                sql: """
                    INSERT INTO workspace_items (id, path, type, content, sync_status, conflict_id)
                    VALUES (?, ?, ?, ?, 'pending', ?)
                    ON CONFLICT(id) DO UPDATE SET conflict_id = excluded.conflict_id, sync_status = 'pending'
                    """,
                arguments: ["\(kind.folder)/\(conflict.key)", path, kind.rawValue, conflict.local.encoded(.pretty), id]
            )
            return id
        }
    }

    /// Pending workspace conflicts, oldest first.
    public func conflicts() throws(OutpostError) -> [ConflictRecord] {
        try store.conflicts(status: .pending).filter { $0.kind == .workspace }
    }

    /// Resolves a pending workspace conflict: writes the chosen content to the file, marks it
    /// resolved for git (`git add`), records who and how, and marks the item pending. When the
    /// last one is resolved, `commit` concludes the merge.
    ///
    /// The choices are those of ``ConflictChoice``: `.local` this node's file, `.remote` the
    /// merged branch's, `.merged` the rule-guided merge, a suggestion by id, or `.data` the whole
    /// file's content (`null` removes the file).
    ///
    /// - Throws: ``OutpostError`` and nothing is written: `.notFound`, `.failedPrecondition` (not
    ///   pending, not a workspace conflict, no merged version), `.invalidInput` (an unknown
    ///   suggestion, or content that is not a valid definition).
    @discardableResult
    public func resolveConflict(id: Int64, choosing choice: ConflictChoice, by person: String) throws(OutpostError)
        -> ConflictRecord
    {
        let record = try store.read { db in try Store.pendingWorkspaceConflict(id: id, in: db) }
        guard let kind = ItemKind(folder: record.table) else {
            throw OutpostError(.invalidInput, "Conflict \(id) names '\(record.table)', not a workspace folder.")
        }
        let path = kind.path(of: record.key)
        let chosen: JSONValue
        switch choice {
        case .local: chosen = record.local ?? .null
        case .remote: chosen = record.remote ?? .null
        case .merged:
            guard let merged = record.merged else {
                throw OutpostError(
                    .failedPrecondition,
                    "Conflict \(id) has no merged version; nothing was written. Use --keep local, --keep remote or --data.",
                    details: ["conflict_id": "\(id)"]
                )
            }
            chosen = merged
        case .suggestion(let name):
            guard let suggestion = record.suggestions.first(where: { $0.id == name }) else {
                throw OutpostError(
                    .invalidInput,
                    "Conflict \(id) has no suggestion '\(name)' (its suggestions: "
                        + "\(record.suggestions.map(\.id).joined(separator: ", "))); nothing was written.",
                    details: ["conflict_id": "\(id)"]
                )
            }
            chosen = suggestion.value
        case .data(let value): chosen = value
        }
        let full = directory + "/" + path
        if chosen == .null {
            if FileManager.default.fileExists(atPath: full) { try FileSystem.remove(full) }
            try git.run(["rm", "-q", "--cached", "--ignore-unmatch", "--", path])
        } else {
            let text = chosen.encoded(.pretty)
            _ = try Definition(path: path, bytes: Array(text.utf8))
            try FileSystem.write(text, to: full)
            try git.run(["add", "--", path])
        }
        try store.write { db in
            try Store.settleWorkspaceConflict(
                id: id,
                written: chosen == .null ? nil : chosen,
                strategy: choice.name,
                by: person,
                in: db
            )
            try db.execute(
                sql: """
                    UPDATE workspace_items SET conflict_id = NULL, content = ?, version = version + 1,
                        modified_at = CURRENT_TIMESTAMP, modified_by = ?, sync_status = 'pending'
                    WHERE path = ?
                    """,
                arguments: [chosen == .null ? nil : chosen.encoded(.pretty), person, path]
            )
        }
        return try store.requireConflict(id: id)
    }

    /// Settles records git no longer holds: a file resolved with plain git (`git add`) is
    /// recorded as resolved by `git` with its content; after `git merge --abort` the record is
    /// `abandoned`. Keeps both listings true to what git holds.
    func reconcileConflicts() throws(OutpostError) {
        let pending = try conflicts()
        guard !pending.isEmpty else { return }
        let merging = try isMerging()
        let unmerged = Set(try unmergedPaths())
        for record in pending {
            guard let kind = ItemKind(folder: record.table) else { continue }
            let path = kind.path(of: record.key)
            guard !merging || !unmerged.contains(path) else { continue }
            let content = FileSystem.read(directory + "/" + path).flatMap { try? JSONValue(parsing: $0) }
            try store.write { db in
                try Store.settleWorkspaceConflict(
                    id: record.id,
                    written: merging ? content : nil,
                    strategy: merging ? "git" : "abandoned",
                    by: "git",
                    in: db
                )
                try db.execute(
                    sql: "UPDATE workspace_items SET conflict_id = NULL WHERE conflict_id = ?",
                    arguments: [record.id]
                )
            }
        }
    }
}
