import OutpostCore

extension RulesConfiguration {
    /// The rules Outpost ships, after the seed's conflict resolver.
    ///
    /// - `agents` (auto): `name` → newest; `status` → local while the local agent is `active`
    ///   (weight 10); `config.*` → merge.
    /// - `workflows` (auto): `status` → local while the local workflow is `running` (weight 10);
    ///   `definition` → newest.
    /// - `configs` (auto): `*` → newest, so a top-level member both sides changed takes the newer
    ///   write whole.
    /// - Any other table: `auto` with no rules (merge; collisions go to the newer write).
    public static let defaults = RulesConfiguration(
        defaultStrategy: .auto,
        entities: [
            "agents": EntityRules(
                strategy: .auto,
                rules: [
                    Rule(field: "name", action: .newest),
                    Rule(
                        field: "status",
                        action: .local,
                        when: RuleCondition(side: .local, field: "status", test: .equals("active")),
                        weight: 10
                    ),
                    Rule(field: "config.*", action: .merge),
                ]
            ),
            "workflows": EntityRules(
                strategy: .auto,
                rules: [
                    Rule(
                        field: "status",
                        action: .local,
                        when: RuleCondition(side: .local, field: "status", test: .equals("running")),
                        weight: 10
                    ),
                    Rule(field: "definition", action: .newest),
                ]
            ),
            "configs": EntityRules(
                strategy: .auto,
                rules: [Rule(field: "*", action: .newest)]
            ),
        ]
    )

    /// The shipped rules as the text of a rules file (``defaults`` encoded, pretty).
    public static var defaultsText: String { defaults.encoded() }
}
