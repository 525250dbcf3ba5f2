/// What the merge did with one field, and why: one line of a resolution's explanation.
///
/// Only fields that changed on at least one side are reported; a field taken whole from one
/// side is reported once, not member by member.
public struct FieldAction: Hashable, Sendable, CustomStringConvertible {
    /// Whose value the field took.
    public enum Kind: String, Hashable, Sendable {
        /// The local value (possibly a deletion).
        case local
        /// The remote value (possibly a deletion).
        case remote
        /// A combination of both sides (an array or text merged element by element).
        case merged
        /// What a custom field handler returned.
        case custom
    }

    /// Where, as `config.tools[2]`; the empty string is the whole row.
    public var path: String
    public var action: Kind
    /// Why, in words: "changed on remote only", "rule 'status' → local when …".
    public var reason: String
    /// How sure the decision is, 0...1.
    public var confidence: Double
    /// Whether both sides changed this field differently (a collision a rule or the clock settled).
    public var isCollision: Bool
    /// Whether a rule the user wrote (`local`, `remote`, `newest`, a custom handler) settled the
    /// collision: then no person needs to approve it, whatever its confidence.
    public var settledByRule: Bool

    public init(
        path: String,
        action: Kind,
        reason: String,
        confidence: Double,
        isCollision: Bool,
        settledByRule: Bool = false
    ) {
        self.path = path
        self.action = action
        self.reason = reason
        self.confidence = confidence
        self.isCollision = isCollision
        self.settledByRule = settledByRule
    }

    /// `config.retries: remote (changed on remote only)`.
    public var description: String {
        "\(path.isEmpty ? "(row)" : path): \(action.rawValue) (\(reason))"
    }
}
