public import OutpostCore

/// What a person picks to resolve a parked conflict (`outpost conflicts resolve ID --keep …`).
public enum ConflictChoice: Hashable, Sendable {
    /// This node's version: for a version conflict, the attempted changes applied to the row.
    case local
    /// The hub's version: for a version conflict, the row left as it is.
    case remote
    /// The rule-guided merge recorded with the conflict.
    case merged
    /// One of the recorded suggestions, by id (`keep_local`, `keep_remote`, `smart_merge`).
    case suggestion(String)
    /// Columns to write, given by the person: members left out keep their current value; `null`
    /// deletes the row.
    case data(JSONValue)

    /// The choice `--keep` names: `local`, `remote`, `merged`, or a suggestion id.
    ///
    /// ```swift
    /// ConflictChoice(keep: "remote")       // .remote
    /// ConflictChoice(keep: "smart_merge")  // .suggestion("smart_merge")
    /// ```
    public init(keep: String) {
        switch keep {
        case "local": self = .local
        case "remote": self = .remote
        case "merged": self = .merged
        default: self = .suggestion(keep)
        }
    }

    /// How the choice is recorded in `resolution_strategy`: `keep_local`, `keep_remote`,
    /// `merged`, the suggestion's id, or `data`.
    public var name: String {
        switch self {
        case .local: "keep_local"
        case .remote: "keep_remote"
        case .merged: "merged"
        case .suggestion(let id): id
        case .data: "data"
        }
    }
}
