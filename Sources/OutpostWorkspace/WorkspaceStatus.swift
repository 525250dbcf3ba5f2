public import OutpostCore
public import OutpostStore

/// What `outpost workspace status` shows.
public struct WorkspaceStatus: Sendable {
    public var directory: String
    public var branch: String
    public var remote: String?
    /// Whether a merge waits to be concluded.
    public var merging: Bool
    /// Items not yet in the remote (or, when asked, every item).
    public var items: [WorkspaceItem]
    /// Files a merge left for a person, as recorded in the conflict queue.
    public var conflicts: [ConflictRecord]
    /// Files git holds as unmerged that no record names (a modify/delete conflict, or a file
    /// that is not JSON): git's to resolve.
    public var unmergedWithoutRecord: [String]

    public var json: JSONValue {
        [
            "directory": .string(directory), "branch": .string(branch), "remote": remote.map(JSONValue.string) ?? .null,
            "merging": .bool(merging), "items": .array(items.map(\.json)), "conflicts": .array(conflicts.map(\.json)),
            "unmerged": .array(unmergedWithoutRecord.map(JSONValue.string)),
        ]
    }
}
