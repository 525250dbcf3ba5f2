public import OutpostCore

/// A tenant's conflict rules, as its hub keeps them, over each node's own (`HOME/rules.json`).
///
/// Every node must merge a shared row the same way for the fleet to converge, so the tenant's
/// rules win: for every table they name, and for tables no one names when they set
/// `default_strategy`. A node's own file only adds rules for the tables the tenant leaves
/// unset.
public struct TenantRules: Sendable, Equatable {
    public var configuration: RulesConfiguration
    /// Whether the tenant's file sets `default_strategy` (if not, each node's default stays).
    public var setsDefault: Bool

    /// Reads a tenant's rules file (the format of ``RulesConfiguration``).
    ///
    /// - Throws: ``OutpostError`` as ``RulesConfiguration/init(parsing:)`` does.
    public init(parsing text: String) throws(OutpostError) {
        configuration = try RulesConfiguration(parsing: text)
        setsDefault = (try? JSONValue(parsing: text))?["default_strategy"] != nil
    }

    /// Where a table's rules in force come from.
    public enum Source: String, Sendable {
        case tenant
        case node
    }

    /// The rules in force on a node whose own rules are `local`.
    public func over(_ local: RulesConfiguration) -> RulesConfiguration {
        var combined = local
        if setsDefault { combined.defaultStrategy = configuration.defaultStrategy }
        combined.entities.merge(configuration.entities) { _, tenant in tenant }
        return combined
    }

    /// Where the rules for `table` come from on a node.
    public func source(of table: String) -> Source {
        configuration.entities[table] != nil ? .tenant : .node
    }
}
