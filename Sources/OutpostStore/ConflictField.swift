public import OutpostCore

/// One field of a parked conflict, side by side: what `outpost conflicts show` prints a line of.
public struct ConflictField: Hashable, Sendable {
    /// Which side changed the field since the base.
    public enum Change: String, Hashable, Sendable {
        /// Local and remote agree.
        case same
        /// Only the local side changed it.
        case local
        /// Only the remote side changed it.
        case remote
        /// Both sides changed it, differently: a collision.
        case both
        /// Local and remote differ and there is no base to tell who changed it.
        case differs
    }

    /// The top-level field (column); the empty string stands for the whole row when a side is
    /// not an object (a deleted row, say).
    public var name: String
    /// The local value, `nil` when the field is absent on that side.
    public var local: JSONValue?
    public var remote: JSONValue?
    public var base: JSONValue?
    public var change: Change

    public init(name: String, local: JSONValue?, remote: JSONValue?, base: JSONValue?, change: Change) {
        self.name = name
        self.local = local
        self.remote = remote
        self.base = base
        self.change = change
    }

    /// The fields of two versions of a row, in name order, compared against `base` when known.
    ///
    /// ```swift
    /// ConflictField.compare(local: ["a": 1, "b": 2], remote: ["a": 1, "b": 3], base: ["a": 1, "b": 2])
    /// // a: same; b: remote
    /// ```
    public static func compare(local: JSONValue?, remote: JSONValue?, base: JSONValue?) -> [ConflictField] {
        guard case .object(let localMembers)? = local, case .object(let remoteMembers)? = remote else {
            return [field(name: "", local: local, remote: remote, base: base, hasBase: base != nil)]
        }
        let baseMembers = base?.objectValue
        var names = Set(localMembers.keys).union(remoteMembers.keys)
        if let baseMembers { names.formUnion(baseMembers.keys) }
        return names.sorted().map { name in
            field(
                name: name,
                local: localMembers[name],
                remote: remoteMembers[name],
                base: baseMembers?[name],
                hasBase: baseMembers != nil
            )
        }
    }

    private static func field(
        name: String,
        local: JSONValue?,
        remote: JSONValue?,
        base: JSONValue?,
        hasBase: Bool
    ) -> ConflictField {
        let change: Change
        if local == remote {
            change = .same
        } else if !hasBase {
            change = .differs
        } else if local == base {
            change = .remote
        } else if remote == base {
            change = .local
        } else {
            change = .both
        }
        return ConflictField(name: name, local: local, remote: remote, base: base, change: change)
    }

    /// The field as JSON, for `--json` output.
    public var json: JSONValue {
        [
            "name": .string(name), "local": local ?? .null, "remote": remote ?? .null, "base": base ?? .null,
            "change": .string(change.rawValue),
        ]
    }
}
