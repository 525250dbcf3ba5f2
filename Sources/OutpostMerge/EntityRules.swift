/// The strategy and rules for one entity type (table).
///
/// ```swift
/// EntityRules(strategy: .auto, rules: [Rule(field: "name", action: .newest)])
/// ```
public struct EntityRules: Hashable, Sendable {
    public var strategy: Strategy
    /// Consulted by the `auto` strategy only, in the order written (the order breaks ties).
    public var rules: [Rule]

    /// Creates an entity's configuration.
    ///
    /// - Parameters:
    ///   - strategy: Defaults to `auto`.
    ///   - rules: Defaults to none: `auto` then merges and lets the newer write settle collisions.
    public init(strategy: Strategy = .auto, rules: [Rule] = []) {
        self.strategy = strategy
        self.rules = rules
    }
}
