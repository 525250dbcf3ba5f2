import OutpostCore
import OutpostMerge
import Testing

@Suite("Strategies")
struct StrategyTests {
    static let sample = conflict(
        base: #"{"a": 1, "b": 1, "c": 1}"#,
        local: #"{"a": 2, "b": 1, "c": 5}"#,
        remote: #"{"a": 1, "b": 3, "c": 6}"#
    )

    struct Case: CustomTestStringConvertible, Sendable {
        let strategy: Strategy
        let expected: JSONValue?
        let confidence: ClosedRange<Double>
        let needsApproval: Bool
        var testDescription: String { strategy.description }
    }

    static let cases: [Case] = [
        Case(
            strategy: .localWins,
            expected: json(#"{"a": 2, "b": 1, "c": 5}"#),
            confidence: 1...1,
            needsApproval: false
        ),
        Case(
            strategy: .remoteWins,
            expected: json(#"{"a": 1, "b": 3, "c": 6}"#),
            confidence: 1...1,
            needsApproval: false
        ),
        // Three changed fields, one collision settled by the clock: (1 + 1 + 0.6) / 3.
        Case(
            strategy: .merge,
            expected: json(#"{"a": 2, "b": 3, "c": 6}"#),
            confidence: 0.86...0.87,
            needsApproval: true
        ),
        Case(
            strategy: .auto,
            expected: json(#"{"a": 2, "b": 3, "c": 6}"#),
            confidence: 0.86...0.87,
            needsApproval: false
        ),
        Case(strategy: .manual, expected: nil, confidence: 0...0, needsApproval: true),
    ]

    @Test("each strategy gives its value, confidence and approval", arguments: cases)
    func strategies(_ example: Case) {
        let resolution = plainResolver().resolve(Self.sample, using: example.strategy)
        #expect(resolution.strategy == example.strategy)
        #expect(resolution.value == example.expected)
        #expect(example.confidence.contains(resolution.confidence))
        #expect(resolution.needsApproval == example.needsApproval)
        #expect(!resolution.usedTwoWay)
    }

    @Test(
        "an entity type with no entry falls back to the configured default strategy",
        arguments: [
            Strategy.localWins, .remoteWins, .merge, .manual,
        ]
    )
    func defaultStrategy(_ strategy: Strategy) {
        let resolver = ConflictResolver(
            configuration: RulesConfiguration(
                defaultStrategy: strategy,
                entities: ["other": EntityRules(strategy: .localWins)]
            )
        )
        #expect(resolver.resolve(Self.sample).strategy == strategy)
    }

    @Test("manual resolutions carry the seed's three suggestions with pros, cons and data")
    func manualSuggestions() {
        let resolution = plainResolver(.manual).resolve(Self.sample)
        #expect(resolution.value == nil)
        #expect(resolution.suggestions.map(\.id) == ["keep_local", "keep_remote", "smart_merge"])
        #expect(resolution.suggestions[0].value == Self.sample.local)
        #expect(resolution.suggestions[1].value == Self.sample.remote)
        #expect(resolution.suggestions[2].value == json(#"{"a": 2, "b": 3, "c": 6}"#))
        #expect(resolution.suggestions.allSatisfy { !$0.pros.isEmpty && !$0.cons.isEmpty })
        #expect(resolution.collisions == ["c"])
    }

    @Test("smart merge is not suggested when it equals one side")
    func noRedundantSmartMerge() {
        let input = conflict(base: #"{"a": 1}"#, local: #"{"a": 2}"#, remote: #"{"a": 1}"#)
        #expect(plainResolver(.manual).resolve(input).suggestions.map(\.id) == ["keep_local", "keep_remote"])
    }

    @Test("a custom strategy calls the handler registered under its name")
    func customStrategy() {
        var resolver = plainResolver(.custom(handler: "sum"))
        resolver.registerConflictHandler(named: "sum") { conflict in
            guard case .integer(let local)? = conflict.local["c"], case .integer(let remote)? = conflict.remote["c"]
            else { return nil }
            return ["c": .integer(local + remote)]
        }
        let resolution = resolver.resolve(Self.sample)
        #expect(resolution.value == ["c": 11])
        #expect(resolution.strategy == .custom(handler: "sum"))
        #expect(resolution.confidence == 1 && !resolution.needsApproval)
        #expect(resolver.unregisteredHandlers.isEmpty)
    }

    @Test("a custom strategy whose handler is missing or declines parks the conflict", arguments: [true, false])
    func customFallsBackToManual(registered: Bool) {
        var resolver = plainResolver(.custom(handler: "pick"))
        if registered { resolver.registerConflictHandler(named: "pick") { _ in nil } }
        let resolution = resolver.resolve(Self.sample)
        #expect(resolution.strategy == .manual)
        #expect(resolution.value == nil && resolution.needsApproval)
        #expect(resolution.summary.contains(registered ? "declined" : "no conflict handler 'pick' is registered"))
        #expect(resolver.unregisteredHandlers == (registered ? [] : ["pick"]))
    }

    @Test("with no base the merge is two-way: nothing is dropped and confidence is lower")
    func twoWay() {
        let input = conflict(base: nil, local: #"{"a": 1, "b": 2}"#, remote: #"{"a": 1, "c": 3}"#)
        let resolution = plainResolver().resolve(input)
        #expect(resolution.usedTwoWay)
        #expect(resolution.value == json(#"{"a": 1, "b": 2, "c": 3}"#))
        #expect(resolution.confidence < 0.6)
        #expect(resolution.needsApproval)
        #expect(resolution.summary.contains("two-way"))
        #expect(resolution.suggestions.map(\.id) == ["keep_local", "keep_remote", "smart_merge"])
    }

    @Test("identical sides resolve with full confidence and no field actions")
    func identicalSides() {
        let resolution = plainResolver(.auto).resolve(
            conflict(base: #"{"a": 1}"#, local: #"{"a": 2}"#, remote: #"{"a": 2}"#)
        )
        #expect(resolution.value == json(#"{"a": 2}"#))
        #expect(resolution.fieldActions.isEmpty)
        #expect(resolution.confidence == 1)
    }

    @Test(
        "strategy names round-trip",
        arguments: [
            Strategy.auto, .localWins, .remoteWins, .merge, .custom(handler: "h"), .manual,
        ]
    )
    func names(_ strategy: Strategy) {
        let handler: String? = if case .custom(let name) = strategy { name } else { nil }
        #expect(Strategy(name: strategy.name, handler: handler) == strategy)
    }

    @Test("the resolution's JSON form carries every part")
    func jsonForm() {
        let resolution = plainResolver(.manual).resolve(Self.sample)
        let form = resolution.json
        #expect(form["strategy"] == "manual")
        #expect(form["value"] == .null)
        #expect(form["needs_approval"] == true)
        guard case .array(let suggestions)? = form["suggestions"] else {
            Issue.record("suggestions missing")
            return
        }
        #expect(suggestions.count == 3)
        #expect(suggestions[0]["id"] == "keep_local")
    }
}
