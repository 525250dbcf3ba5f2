/// The hub's answer to a push: one result per change, in the order sent.
///
/// On the wire the results are positional and carry no change ids (the node has them): an
/// applied change is `[version, sequence]` (`sequence` is null when nothing was written, as for
/// deleting a row the hub never had); a conflict is an object with the hub's row; a change the
/// node may not make (its scope, protocol version 2) is `{"status": "refused", "code", "reason"}`.
/// For example,
/// `{"sequence": 42, "results": [[1, 41], {"status": "conflict", "version": 5, "current": {…}}, [2, 42]]}`.
/// That keeps the answer near 10 bytes per applied change on an edge link.
public struct PushResponse: Sendable, Equatable {
    public var results: [ChangeResult]
    /// The tenant's newest sequence number after this batch.
    public var sequence: Int64

    public init(results: [ChangeResult], sequence: Int64) {
        self.results = results
        self.sequence = sequence
    }
}

/// What happened to one pushed change.
public struct ChangeResult: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Applied: the row is now at ``ChangeResult/version``.
        case applied
        /// Not applied: the hub's row moved past the change's base version. ``ChangeResult/current``
        /// is the hub's row, for the node to merge with and push again.
        case conflict
        /// Not applied, and never will be as it is: the node may not make this change (the table
        /// is read-only for it, or the row is outside its scope). ``ChangeResult/reason`` says why.
        case refused
    }

    public var changeID: String
    public var status: Status
    /// The row's hub version after the change (applied), or the hub's current version (conflict).
    public var version: Int64
    /// The change-log sequence number the change was given (applied and written only).
    public var sequence: Int64?
    /// The hub's current row (conflict only).
    public var current: HubRow?
    /// Why the change was refused, and the refusal's code (refused only).
    public var refusal: Refusal?

    /// Why the hub will not apply a change: a stable code and a sentence for people.
    public struct Refusal: Sendable, Equatable {
        public var code: String
        public var reason: String

        public init(code: String, reason: String) {
            self.code = code
            self.reason = reason
        }
    }

    public init(changeID: String, status: Status, version: Int64, sequence: Int64? = nil, current: HubRow? = nil) {
        self.changeID = changeID
        self.status = status
        self.version = version
        self.sequence = sequence
        self.current = current
    }

    /// A refused change: nothing written, the row's version not disclosed.
    public static func refused(changeID: String, _ refusal: Refusal) -> ChangeResult {
        var result = ChangeResult(changeID: changeID, status: .refused, version: 0)
        result.refusal = refusal
        return result
    }
}
