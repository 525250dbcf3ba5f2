import OutpostCore
import OutpostMerge
import Testing

@Suite("Rules")
struct RuleTests {
    /// `status` collides; remote is newer.
    static let statusCollision = conflict(
        base: #"{"status": "idle", "n": 1}"#,
        local: #"{"status": "running", "n": 1}"#,
        remote: #"{"status": "stopped", "n": 1}"#
    )

    @Test(
        "each action settles a collision its way",
        arguments: [
            (Rule.Action.local, JSONValue("running")),
            (.remote, "stopped"),
            (.newest, "stopped"),
            (.merge, "stopped"),
        ]
    )
    func actions(action: Rule.Action, expected: JSONValue) {
        let resolution = resolver(rules: [Rule(field: "status", action: action)]).resolve(Self.statusCollision)
        #expect(resolution.value?["status"] == expected)
        #expect(resolution.fieldActions.first?.reason.contains("'status' → \(action.name)") == true)
    }

    @Test("an explicit rule settles a collision with more confidence than the clock alone")
    func ruleConfidence() {
        let ruled = resolver(rules: [Rule(field: "status", action: .local)]).resolve(Self.statusCollision)
        let unruled = resolver(rules: []).resolve(Self.statusCollision)
        #expect(ruled.confidence > unruled.confidence)
        #expect(ruled.fieldActions.first?.confidence == 0.9)
        #expect(unruled.fieldActions.first?.confidence == 0.6)
    }

    @Test(
        "conditions decide whether a rule applies",
        arguments: [
            (RuleCondition(side: .local, test: .equals("running")), true),
            (RuleCondition(side: .local, test: .equals("paused")), false),
            (RuleCondition(side: .remote, test: .isOneOf(["stopped", "failed"])), true),
            (RuleCondition(side: .base, test: .equals("idle")), true),
            (RuleCondition(side: .local, field: "n", test: .equals(1)), true),
            (RuleCondition(side: .local, field: "missing", test: .exists(false)), true),
            (RuleCondition(side: .local, field: "missing", test: .exists(true)), false),
            (RuleCondition(side: .local, field: "missing", test: .equals(.null)), false),
        ]
    )
    func conditions(condition: RuleCondition, applies: Bool) {
        let rules = [Rule(field: "status", action: .local, when: condition)]
        let resolution = resolver(rules: rules).resolve(Self.statusCollision)
        #expect(resolution.value?["status"] == (applies ? "running" : "stopped"))
    }

    @Test("the heavier rule wins, then the more specific one, then the first written")
    func precedence() {
        let input = conflict(
            base: #"{"config": {"mode": "a"}}"#,
            local: #"{"config": {"mode": "b"}}"#,
            remote: #"{"config": {"mode": "c"}}"#
        )
        let heavier = [
            Rule(field: "config.mode", action: .remote), Rule(field: "*", action: .local, weight: 5),
        ]
        #expect(resolver(rules: heavier).resolve(input).value == json(#"{"config": {"mode": "b"}}"#))
        let specific = [Rule(field: "config.*", action: .remote), Rule(field: "config.mode", action: .local)]
        #expect(resolver(rules: specific).resolve(input).value == json(#"{"config": {"mode": "b"}}"#))
        let first = [Rule(field: "config.*", action: .local), Rule(field: "config.*", action: .remote)]
        #expect(resolver(rules: first).resolve(input).value == json(#"{"config": {"mode": "b"}}"#))
        let reversed = [Rule(field: "config.*", action: .remote), Rule(field: "config.*", action: .local)]
        #expect(resolver(rules: reversed).resolve(input).value == json(#"{"config": {"mode": "c"}}"#))
    }

    @Test("a heavier rule whose condition fails yields to a lighter one that holds")
    func failingConditionYields() {
        let rules = [
            Rule(field: "status", action: .remote, when: RuleCondition(side: .local, test: .equals("x")), weight: 9),
            Rule(field: "status", action: .local),
        ]
        #expect(resolver(rules: rules).resolve(Self.statusCollision).value?["status"] == "running")
    }

    @Test("newest, local and remote take the whole value; merge goes inside it")
    func wholeVersusInside() {
        let input = conflict(
            base: #"{"d": {"x": 1, "y": 1}}"#,
            local: #"{"d": {"x": 2, "y": 1}}"#,
            remote: #"{"d": {"x": 1, "y": 2}}"#
        )
        #expect(resolver(rules: [Rule(field: "d", action: .newest)]).resolve(input).value == input.remote)
        #expect(resolver(rules: [Rule(field: "d", action: .local)]).resolve(input).value == input.local)
        #expect(
            resolver(rules: [Rule(field: "d", action: .merge)]).resolve(input).value
                == json(#"{"d": {"x": 2, "y": 2}}"#)
        )
    }

    @Test("rules are consulted only where both sides changed a field")
    func oneSidedChangesIgnoreRules() {
        let input = conflict(base: #"{"a": 1}"#, local: #"{"a": 1}"#, remote: #"{"a": 2}"#)
        #expect(resolver(rules: [Rule(field: "a", action: .local)]).resolve(input).value == json(#"{"a": 2}"#))
    }

    @Test("the merge strategy ignores rules; auto applies them")
    func mergeIgnoresRules() {
        let configuration = RulesConfiguration(
            entities: ["things": EntityRules(strategy: .merge, rules: [Rule(field: "status", action: .local)])])
        let resolver = ConflictResolver(configuration: configuration)
        #expect(resolver.resolve(Self.statusCollision).value?["status"] == "stopped")
        #expect(resolver.resolve(Self.statusCollision, using: .auto).value?["status"] == "running")
    }

    @Test("a custom action calls the field handler with the field's three versions")
    func customAction() {
        var resolver = resolver(rules: [Rule(field: "count", action: .custom(handler: "max"))])
        resolver.registerFieldHandler(named: "max") { field in
            guard field.path == "count", case .integer(let local)? = field.local,
                case .integer(let remote)? = field.remote, field.base == 1
            else { return nil }
            return .integer(max(local, remote))
        }
        let input = conflict(base: #"{"count": 1}"#, local: #"{"count": 9}"#, remote: #"{"count": 4}"#)
        let resolution = resolver.resolve(input)
        #expect(resolution.value == json(#"{"count": 9}"#))
        #expect(resolution.fieldActions.first?.action == .custom)
    }

    @Test("a custom action whose handler is missing gives the field to the newer write, needing approval")
    func missingFieldHandler() {
        let resolver = resolver(rules: [Rule(field: "count", action: .custom(handler: "max"))])
        let input = conflict(base: #"{"count": 1}"#, local: #"{"count": 9}"#, remote: #"{"count": 4}"#)
        let resolution = resolver.resolve(input)
        #expect(resolution.value == json(#"{"count": 4}"#))
        #expect(resolution.needsApproval)
        #expect(resolver.unregisteredHandlers == ["max"])
    }
}
