public import OutpostCore

/// When a rule applies: a test on one side's value of a field.
///
/// In a rules file it is the rule's `when` member, with `side`, an optional `field` (a dotted
/// path from the row's top; by default the field the rule is resolving) and exactly one test:
///
/// ```json
/// {"side": "local", "field": "status", "equals": "running"}
/// {"side": "remote", "in": ["archived", "deleted"]}
/// {"side": "base", "exists": false}
/// ```
public struct RuleCondition: Hashable, Sendable, CustomStringConvertible {
    /// Which version of the row the test reads.
    public enum Side: String, Hashable, Sendable, CaseIterable {
        case local, remote, base
    }

    /// What the value must satisfy.
    public enum Test: Hashable, Sendable {
        /// The field exists and equals this value (`"equals": …`).
        case equals(JSONValue)
        /// The field exists and equals one of these values (`"in": […]`).
        case isOneOf([JSONValue])
        /// The field is present (`true`) or absent (`false`) (`"exists": …`).
        case exists(Bool)
    }

    public var side: Side
    /// A dotted path from the row's top, or `nil` for the field being resolved.
    public var field: String?
    public var test: Test

    /// Creates a condition.
    ///
    /// ```swift
    /// RuleCondition(side: .local, field: "status", test: .equals("running"))
    /// ```
    public init(side: Side, field: String? = nil, test: Test) {
        self.side = side
        self.field = field
        self.test = test
    }

    /// Whether the condition holds for `conflict` while resolving the field at `path`.
    func holds(in conflict: Conflict, at path: FieldPath) -> Bool {
        let document: JSONValue? =
            switch side {
            case .local: conflict.local
            case .remote: conflict.remote
            case .base: conflict.base
            }
        let value = (field.map(FieldPath.init(dotted:)) ?? path).value(in: document)
        switch test {
        case .equals(let expected): return value == expected
        case .isOneOf(let candidates): return value.map(candidates.contains) ?? false
        case .exists(let present): return (value != nil) == present
        }
    }

    /// `local.status = "running"`, as reasons and `rules show` print it.
    public var description: String {
        let subject = "\(side.rawValue).\(field ?? "<field>")"
        switch test {
        case .equals(let value): return "\(subject) = \(value.encoded())"
        case .isOneOf(let values): return "\(subject) in \(JSONValue.array(values).encoded())"
        case .exists(let present): return present ? "\(subject) exists" : "\(subject) is absent"
        }
    }
}
