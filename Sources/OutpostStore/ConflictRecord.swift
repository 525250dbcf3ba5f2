import GRDB
public import OutpostCore
public import OutpostMerge

/// A conflict parked in `conflict_resolution` for a person to decide.
///
/// Two kinds land there. The sync engine parks a row the resolver could not surely merge
/// (``Kind-swift.enum/sync``): `local`, `remote` and `base` are whole rows and the row's queue
/// entry is held until the conflict is resolved. A failed `--expected-version` update records
/// what it tried (``Kind-swift.enum/version``): ``attemptedChanges`` holds the changes,
/// ``remote`` the row as it was, and ``local`` that row with the changes applied. A git merge in
/// the workspace parks a definition file it could not surely merge (``Kind-swift.enum/workspace``);
/// `table` is then the item's folder (`agents`, `workflows`, `configs`) and `key` its id.
public struct ConflictRecord: Hashable, Sendable {
    /// Where a conflict came from.
    public enum Kind: String, Hashable, Sendable {
        /// Parked by the sync engine: the hub's row and this node's pending row collided.
        case sync
        /// Recorded by an update whose expected version was stale; nothing was written.
        case version
        /// Left by a git merge in the workspace: `local` is this node's file, `remote` the merged
        /// branch's, `base` their common ancestor's; the file stays conflicted until resolved
        /// (see docs/workspace.md). Resolving writes the file, not a table.
        case workspace
        /// A row from the hub that this node could not apply: a local constraint (`UNIQUE`,
        /// `NOT NULL`, `CHECK`) refused it. `remote` is the hub's row, `local` the node's row
        /// with the same key (if any); the summary carries SQLite's reason. The rest of the pull
        /// went on. Resolving with `--keep remote` writes the hub's row (fix what blocks it
        /// first); `--keep local` keeps the node's.
        case constraint
    }

    /// Whether a person has decided yet.
    public enum Status: String, Hashable, Sendable, CaseIterable {
        case pending
        case resolved
    }

    /// The record's id, as `outpost conflicts show ID` takes it.
    public var id: Int64
    /// The table the row belongs to.
    public var table: String
    /// The row's key (a JSON array for a multi-column key).
    public var key: String
    public var kind: Kind
    public var status: Status
    public var localVersion: Int64?
    public var remoteVersion: Int64?
    /// This node's row; for a version conflict, the recorded row with the attempted changes
    /// applied in the form they are stored in (objects and arrays as JSON text).
    public var local: JSONValue?
    /// The hub's row; for a version conflict, the row as it was when the update was refused.
    public var remote: JSONValue?
    /// The last hub state this node saw, when known.
    public var base: JSONValue?
    /// For a version conflict, the changes the update tried to make, as given.
    public var attemptedChanges: JSONValue?
    public var localStamp: HybridTimestamp?
    public var remoteStamp: HybridTimestamp?
    /// Top-level fields whose local and remote values differ.
    public var fields: [String]
    /// The resolver's suggestions, with pros and cons (none for a version conflict).
    public var suggestions: [Suggestion]
    /// The rule-guided merge, which `--keep merged` writes; `nil` when there is none.
    public var merged: JSONValue?
    /// The resolver's one-sentence account.
    public var summary: String?
    /// Before resolution, the strategy that parked the conflict; after, the choice made
    /// (`keep_local`, `keep_remote`, `merged`, a suggestion id, or `data`).
    public var resolutionStrategy: String?
    public var createdAt: String?
    public var resolvedAt: String?
    public var resolvedBy: String?
    /// The row as written by the resolution (`null` for a deleted row).
    public var resolvedData: JSONValue?

    /// The fields side by side, in name order, with who changed each.
    public var comparison: [ConflictField] {
        ConflictField.compare(local: local, remote: remote, base: base)
    }

    /// The record as JSON, for `--json` output.
    public var json: JSONValue {
        func optional<T>(_ value: T?, _ transform: (T) -> JSONValue) -> JSONValue {
            value.map(transform) ?? .null
        }
        return [
            "id": .integer(id), "table": .string(table), "key": .string(key), "kind": .string(kind.rawValue),
            "status": .string(status.rawValue), "local_version": optional(localVersion, JSONValue.integer),
            "remote_version": optional(remoteVersion, JSONValue.integer), "local": local ?? .null,
            "remote": remote ?? .null, "base": base ?? .null, "attempted_changes": attemptedChanges ?? .null,
            "local_hlc": optional(localStamp) { .string($0.description) },
            "remote_hlc": optional(remoteStamp) { .string($0.description) },
            "fields": .array(fields.map(JSONValue.string)), "comparison": .array(comparison.map(\.json)),
            "suggestions": .array(suggestions.map(\.json)), "merged": merged ?? .null,
            "summary": optional(summary, JSONValue.string),
            "resolution_strategy": optional(resolutionStrategy, JSONValue.string),
            "created_at": optional(createdAt, JSONValue.string), "resolved_at": optional(resolvedAt, JSONValue.string),
            "resolved_by": optional(resolvedBy, JSONValue.string), "resolved_data": resolvedData ?? .null,
        ]
    }

    /// Reads a `conflict_resolution` row.
    init(row: Row) {
        id = row["id"]
        table = row["table_name"]
        key = row["record_id"]
        kind = Kind(rawValue: row["kind"] ?? "") ?? .sync
        status = Status(rawValue: row["status"] ?? "") ?? .pending
        localVersion = row["local_version"]
        remoteVersion = row["remote_version"]
        remote = JSONValue.column(row["remote_data"])
        base = JSONValue.column(row["base_data"])
        let localData = JSONValue.column(row["local_data"])
        if kind == .version {
            attemptedChanges = localData
            local = Self.applying(localData, to: remote)
        } else {
            local = localData
        }
        localStamp = (row["local_hlc"] as String?).flatMap(HybridTimestamp.init)
        remoteStamp = (row["remote_hlc"] as String?).flatMap(HybridTimestamp.init)
        if case .array(let names)? = JSONValue.column(row["fields"]) {
            fields = names.compactMap(\.stringValue)
        } else {
            fields = []
        }
        if case .array(let stored)? = JSONValue.column(row["suggestions"]) {
            suggestions = stored.compactMap(Suggestion.init(json:))
        } else {
            suggestions = []
        }
        merged = JSONValue.column(row["merged_data"])
        summary = row["summary"]
        resolutionStrategy = row["resolution_strategy"]
        createdAt = row["created_at"]
        resolvedAt = row["resolved_at"]
        resolvedBy = row["resolved_by"]
        resolvedData = JSONValue.column(row["resolved_data"])
    }

    /// `row` with each member of `changes` set in its stored form.
    private static func applying(_ changes: JSONValue?, to row: JSONValue?) -> JSONValue? {
        guard case .object(var members)? = row, case .object(let changed)? = changes else { return row }
        for (name, value) in changed {
            members[name] = JSONValue(value.databaseValue)
        }
        return .object(members)
    }
}
