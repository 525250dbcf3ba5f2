/// Which strategy and rules resolve conflicts on each entity type: the content of a rules file.
///
/// ```swift
/// let configuration = try RulesConfiguration(parsing: text)   // a rules file
/// let resolver = ConflictResolver(configuration: configuration)
/// RulesConfiguration.defaults.encoded()                       // the shipped rules, as a file
/// ```
///
/// The file format, with every member:
///
/// ```json
/// {
///   "default_strategy": "auto",
///   "entities": {
///     "workflows": {
///       "strategy": "auto",
///       "rules": [
///         {"field": "status", "action": "local", "weight": 10,
///          "when": {"side": "local", "field": "status", "equals": "running"}},
///         {"field": "definition", "action": "newest"}
///       ]
///     },
///     "audit_log": {"strategy": "custom", "handler": "append-only"}
///   }
/// }
/// ```
public struct RulesConfiguration: Hashable, Sendable {
    /// The strategy for entity types that have no entry. Default `auto` (no rules).
    public var defaultStrategy: Strategy
    /// Strategy and rules per entity type (table name).
    public var entities: [String: EntityRules]

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - defaultStrategy: Defaults to `auto`.
    ///   - entities: Defaults to none.
    public init(defaultStrategy: Strategy = .auto, entities: [String: EntityRules] = [:]) {
        self.defaultStrategy = defaultStrategy
        self.entities = entities
    }

    /// The strategy and rules for `entityType`: its entry, or the default strategy with no rules.
    public func rules(for entityType: String) -> EntityRules {
        entities[entityType] ?? EntityRules(strategy: defaultStrategy)
    }

    /// The names of custom handlers the configuration refers to, sorted, for checking that each
    /// is registered.
    public var handlerNames: [String] {
        var names: Set<String> = []
        if case .custom(let handler) = defaultStrategy { names.insert(handler) }
        for entity in entities.values {
            if case .custom(let handler) = entity.strategy { names.insert(handler) }
            for rule in entity.rules {
                if case .custom(let handler) = rule.action { names.insert(handler) }
            }
        }
        return names.sorted()
    }
}
