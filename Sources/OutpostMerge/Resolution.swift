public import OutpostCore

/// The outcome of resolving a conflict: the row to write (unless a person must decide), how it
/// was reached, and how sure it is.
///
/// ```swift
/// let resolution = resolver.resolve(conflict)
/// if let row = resolution.value, !resolution.needsApproval {
///     // write `row`, push it
/// } else {
///     // park it; show resolution.suggestions
/// }
/// ```
public struct Resolution: Hashable, Sendable {
    /// The entity type (table) of the row.
    public var entityType: String
    /// The row's key.
    public var key: String
    /// The strategy that produced this resolution (a custom strategy whose handler is missing
    /// or declines reports `manual`).
    public var strategy: Strategy
    /// The resolved row, or `nil` when a person must decide (`manual`).
    public var value: JSONValue?
    /// What happened to each changed field, in path order.
    public var fieldActions: [FieldAction]
    /// How sure the resolution is, 0...1: the mean confidence of the field decisions, lowered
    /// for a two-way merge; 1 for whole-side strategies and custom handlers; 0 for manual.
    public var confidence: Double
    /// Whether a person should approve before the value is trusted: confidence below the
    /// strategy's threshold (auto 0.8, merge 0.9), or manual.
    public var needsApproval: Bool
    /// Whether the merge had no base version and compared the two sides alone.
    public var usedTwoWay: Bool
    /// Choices for a person, when one must decide or approve.
    public var suggestions: [Suggestion]
    /// One sentence on what happened, for logs and `conflicts show`.
    public var summary: String

    public init(
        entityType: String,
        key: String,
        strategy: Strategy,
        value: JSONValue?,
        fieldActions: [FieldAction],
        confidence: Double,
        needsApproval: Bool,
        usedTwoWay: Bool,
        suggestions: [Suggestion],
        summary: String
    ) {
        self.entityType = entityType
        self.key = key
        self.strategy = strategy
        self.value = value
        self.fieldActions = fieldActions
        self.confidence = confidence
        self.needsApproval = needsApproval
        self.usedTwoWay = usedTwoWay
        self.suggestions = suggestions
        self.summary = summary
    }

    /// The paths both sides changed differently.
    public var collisions: [String] {
        fieldActions.filter(\.isCollision).map(\.path)
    }

    /// The resolution as JSON, for `--json` output and the conflict record.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "entity_type": .string(entityType), "key": .string(key), "strategy": .string(strategy.name),
            "value": value ?? .null, "confidence": .double(confidence), "needs_approval": .bool(needsApproval),
            "used_two_way": .bool(usedTwoWay), "summary": .string(summary),
            "field_actions": .array(
                fieldActions.map {
                    [
                        "path": .string($0.path), "action": .string($0.action.rawValue), "reason": .string($0.reason),
                        "confidence": .double($0.confidence), "collision": .bool($0.isCollision),
                    ]
                }
            ),
            "suggestions": .array(suggestions.map(\.json)),
        ]
        if case .custom(let handler) = strategy { members["handler"] = .string(handler) }
        return .object(members)
    }
}
