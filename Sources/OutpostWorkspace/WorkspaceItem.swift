public import OutpostCore

/// A row of the workspace index (`workspace_items`): one definition file as Outpost last saw it.
public struct WorkspaceItem: Sendable, Equatable {
    /// Where the file is in git's eyes.
    public enum SyncStatus: String, Sendable, CaseIterable {
        /// Changed since the last commit.
        case pending
        /// Committed, not yet pushed to the remote.
        case committed
        /// In the remote's history.
        case synced
    }

    /// The path without `.json`, such as `agents/a1`.
    public var id: String
    /// The path relative to the workspace, such as `agents/a1.json`.
    public var path: String
    public var kind: ItemKind
    /// Whether the file exists (its content is `NULL` in the index once it is removed).
    public var exists: Bool
    /// How many times the file changed as Outpost saw it.
    public var version: Int
    public var modifiedAt: String?
    public var modifiedBy: String?
    public var syncStatus: SyncStatus
    /// The pending workspace conflict that holds the file, if any.
    public var conflictID: Int64?

    /// The item as JSON, for `--json` output.
    public var json: JSONValue {
        [
            "id": .string(id), "path": .string(path), "type": .string(kind.rawValue), "exists": .bool(exists),
            "version": .integer(Int64(version)), "modified_at": modifiedAt.map(JSONValue.string) ?? .null,
            "modified_by": modifiedBy.map(JSONValue.string) ?? .null, "sync_status": .string(syncStatus.rawValue),
            "conflict_id": conflictID.map(JSONValue.integer) ?? .null,
        ]
    }
}
