/// What to do with a field that both sides changed differently, and when.
///
/// Rules are consulted only where the two sides disagree; a field changed on one side only
/// always takes that side's value. Among the rules whose pattern covers the field and whose
/// condition holds, the one with the highest weight wins, then the most specific pattern,
/// then the first written: the same rule on every node.
///
/// ```swift
/// Rule(field: "status", action: .local, when: RuleCondition(side: .local, test: .equals("running")), weight: 10)
/// Rule(field: "config.*", action: .merge)
/// ```
public struct Rule: Hashable, Sendable, CustomStringConvertible {
    /// How the rule settles a field both sides changed differently.
    public enum Action: Hashable, Sendable, CustomStringConvertible {
        /// The local value, whole (a local deletion stays deleted).
        case local
        /// The remote value, whole.
        case remote
        /// The value of the newer write, whole, by hybrid timestamp (node id breaks ties).
        case newest
        /// Merge inside the value: objects member by member, arrays as sequences, multi-line
        /// text line by line; what still collides goes to the newer write. Also what happens
        /// where no rule applies.
        case merge
        /// A field handler registered from Swift under this name.
        case custom(handler: String)

        /// The names accepted in a rules file.
        public static let names = ["local", "remote", "newest", "merge", "custom"]

        /// The action's name in a rules file.
        public var name: String {
            switch self {
            case .local: "local"
            case .remote: "remote"
            case .newest: "newest"
            case .merge: "merge"
            case .custom: "custom"
            }
        }

        public var description: String {
            if case .custom(let handler) = self { return "custom(\(handler))" }
            return name
        }
    }

    /// The fields the rule covers.
    public var field: FieldPattern
    public var action: Action
    /// When the rule applies; `nil` means always.
    public var condition: RuleCondition?
    /// Heavier rules win over lighter ones that cover the same field. Default 1.
    public var weight: Int

    /// Creates a rule.
    ///
    /// - Parameters:
    ///   - condition: Defaults to `nil`, always.
    ///   - weight: Defaults to 1.
    public init(field: FieldPattern, action: Action, when condition: RuleCondition? = nil, weight: Int = 1) {
        self.field = field
        self.action = action
        self.condition = condition
        self.weight = weight
    }

    /// `'status' → local when local.status = "running" (weight 10)`.
    public var description: String {
        var text = "'\(field)' → \(action)"
        if let condition { text += " when \(condition)" }
        if weight != 1 { text += " (weight \(weight))" }
        return text
    }
}

extension [Rule] {
    /// The rule that decides the field at `path` of `conflict`, or `nil` when none covers it.
    func decisive(at path: FieldPath, in conflict: Conflict) -> Rule? {
        var best: Rule?
        for rule in self where rule.field.matches(path) {
            if let current = best {
                if rule.weight < current.weight { continue }
                if rule.weight == current.weight && rule.field.specificity <= current.field.specificity { continue }
            }
            if let condition = rule.condition, !condition.holds(in: conflict, at: path) { continue }
            best = rule
        }
        return best
    }
}
