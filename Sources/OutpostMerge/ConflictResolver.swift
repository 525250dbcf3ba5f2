public import OutpostCore

/// Resolves a whole conflict from Swift: gets the row to write, or `nil` to park the conflict
/// for a person. Registered with ``ConflictResolver/registerConflictHandler(named:_:)``.
public typealias ConflictHandler = @Sendable (Conflict) -> JSONValue?

/// Settles one field both sides changed differently: returns its value, or `nil` to leave the
/// field out. Registered with ``ConflictResolver/registerFieldHandler(named:_:)``.
public typealias FieldHandler = @Sendable (FieldConflict) -> JSONValue?

/// Resolves conflicts by the configured strategy and rules: a pure function of its inputs.
///
/// The same conflict gives the same resolution on every node: no clock, randomness or I/O is
/// involved, and every "newest" choice compares the writes' hybrid timestamps. For the
/// symmetric strategies (`merge`, and `auto` with rules that do not favour a side) resolving
/// ``Conflict/swapped`` gives the same value.
///
/// ```swift
/// var resolver = ConflictResolver()                      // the shipped rules
/// resolver.registerFieldHandler(named: "max") { field in
///     guard case .integer(let local)? = field.local, case .integer(let remote)? = field.remote else {
///         return field.remote
///     }
///     return .integer(max(local, remote))
/// }
/// let resolution = resolver.resolve(conflict)
/// ```
public struct ConflictResolver: Sendable {
    /// The strategy and rules per entity type.
    public var configuration: RulesConfiguration
    private var conflictHandlers: [String: ConflictHandler] = [:]
    private var fieldHandlers: [String: FieldHandler] = [:]

    /// Creates a resolver.
    ///
    /// - Parameter configuration: Defaults to ``RulesConfiguration/defaults``, the shipped rules.
    public init(configuration: RulesConfiguration = .defaults) {
        self.configuration = configuration
    }

    /// Registers the handler a `custom` strategy names; replaces one of the same name.
    public mutating func registerConflictHandler(named name: String, _ handler: @escaping ConflictHandler) {
        conflictHandlers[name] = handler
    }

    /// Registers the handler a rule's `custom` action names; replaces one of the same name.
    public mutating func registerFieldHandler(named name: String, _ handler: @escaping FieldHandler) {
        fieldHandlers[name] = handler
    }

    /// Handler names the configuration uses that nothing is registered under, sorted. A missing
    /// conflict handler parks its conflicts; a missing field handler gives its fields to the
    /// newer write with low confidence.
    public var unregisteredHandlers: [String] {
        configuration.handlerNames.filter { conflictHandlers[$0] == nil && fieldHandlers[$0] == nil }
    }

    /// Resolves `conflict` by the strategy configured for its entity type.
    public func resolve(_ conflict: Conflict) -> Resolution {
        let entity = configuration.rules(for: conflict.entityType)
        return resolve(conflict, using: entity.strategy, rules: entity.rules)
    }

    /// Resolves `conflict` by `strategy`, with the rules configured for its entity type.
    ///
    /// ```swift
    /// resolver.resolve(conflict, using: .merge)   // what a three-way merge would give
    /// ```
    public func resolve(_ conflict: Conflict, using strategy: Strategy) -> Resolution {
        resolve(conflict, using: strategy, rules: configuration.rules(for: conflict.entityType).rules)
    }

    private func resolve(_ conflict: Conflict, using strategy: Strategy, rules: [Rule]) -> Resolution {
        switch strategy {
        case .localWins:
            return wholeSide(conflict, strategy: strategy, value: conflict.local, side: .local)
        case .remoteWins:
            return wholeSide(conflict, strategy: strategy, value: conflict.remote, side: .remote)
        case .auto:
            return merged(conflict, strategy: strategy, rules: rules)
        case .merge:
            return merged(conflict, strategy: strategy, rules: nil)
        case .custom(let name):
            guard let handler = conflictHandlers[name] else {
                return parked(conflict, rules: rules, because: "no conflict handler '\(name)' is registered")
            }
            guard let value = handler(conflict) else {
                return parked(conflict, rules: rules, because: "conflict handler '\(name)' declined")
            }
            return wholeRow(
                conflict,
                strategy: strategy,
                value: value,
                kind: .custom,
                reason: "custom handler '\(name)'",
                summary: "Resolved by custom handler '\(name)'."
            )
        case .manual:
            return parked(conflict, rules: rules, because: "the strategy is manual")
        }
    }

    private func wholeSide(
        _ conflict: Conflict,
        strategy: Strategy,
        value: JSONValue,
        side: FieldAction.Kind
    ) -> Resolution {
        wholeRow(
            conflict,
            strategy: strategy,
            value: value,
            kind: side,
            reason: "strategy \(strategy.name) keeps the \(side.rawValue) row whole",
            summary: "Kept the \(side.rawValue) row whole (strategy \(strategy.name))."
        )
    }

    /// A resolution that takes one whole row, decided by the strategy rather than field by field.
    private func wholeRow(
        _ conflict: Conflict,
        strategy: Strategy,
        value: JSONValue,
        kind: FieldAction.Kind,
        reason: String,
        summary: String
    ) -> Resolution {
        Resolution(
            entityType: conflict.entityType,
            key: conflict.key,
            strategy: strategy,
            value: value,
            fieldActions: [FieldAction(path: "", action: kind, reason: reason, confidence: 1, isCollision: true)],
            confidence: 1,
            needsApproval: false,
            usedTwoWay: false,
            suggestions: [],
            summary: summary
        )
    }

    private func merged(_ conflict: Conflict, strategy: Strategy, rules: [Rule]?) -> Resolution {
        var merge = ThreeWayMerge(conflict: conflict, rules: rules, fieldHandlers: fieldHandlers)
        let value = merge.run()
        let confidence = merge.confidence
        // The approval threshold is for the heuristic merge: collisions the user's own rules
        // settled are decided, however low the confidence (a two-way merge, say).
        let settledByRules =
            merge.actions.contains(where: \.isCollision)
            && merge.actions.allSatisfy { !$0.isCollision || $0.settledByRule }
        let needsApproval = !settledByRules && confidence < strategy.approvalThreshold
        let collisions = merge.actions.count(where: \.isCollision)
        var summary =
            "Merged \(merge.actions.count) changed field\(merge.actions.count == 1 ? "" : "s") "
            + "(\(collisions) changed on both sides) by strategy \(strategy.name)"
        if merge.isTwoWay { summary += ", two-way: no base version to compare with" }
        summary += needsApproval ? "; needs approval." : "."
        return Resolution(
            entityType: conflict.entityType,
            key: conflict.key,
            strategy: strategy,
            value: value,
            fieldActions: merge.actions,
            confidence: confidence,
            needsApproval: needsApproval,
            usedTwoWay: merge.isTwoWay,
            suggestions: needsApproval ? suggestions(for: conflict, merged: (value, confidence)) : [],
            summary: summary
        )
    }

    private func parked(_ conflict: Conflict, rules: [Rule], because reason: String) -> Resolution {
        var merge = ThreeWayMerge(conflict: conflict, rules: rules, fieldHandlers: fieldHandlers)
        let value = merge.run()
        let collisions = merge.actions.count(where: \.isCollision)
        return Resolution(
            entityType: conflict.entityType,
            key: conflict.key,
            strategy: .manual,
            value: nil,
            fieldActions: merge.actions,
            confidence: 0,
            needsApproval: true,
            usedTwoWay: merge.isTwoWay,
            suggestions: suggestions(for: conflict, merged: (value, merge.confidence)),
            summary: "Parked for a person: \(reason); \(collisions) field(s) changed on both sides. "
                + "The field actions show what a rule-guided merge would do."
        )
    }
}
