import OutpostCore
import OutpostMerge
import Testing

@Suite("Shipped default rules")
struct DefaultRulesTests {
    let resolver = ConflictResolver()

    func row(_ entityType: String, base: String, local: String, remote: String, newer: Newer = .remote) -> Conflict {
        conflict(entityType, base: base, local: local, remote: remote, newer: newer)
    }

    @Test("a workflow running locally keeps its local status even against a newer remote write")
    func runningWorkflowKeepsStatus() {
        let resolution = resolver.resolve(
            row(
                "workflows",
                base: #"{"status": "active"}"#,
                local: #"{"status": "running"}"#,
                remote: #"{"status": "paused"}"#
            )
        )
        #expect(resolution.value == json(#"{"status": "running"}"#))
        #expect(resolution.strategy == .auto)
        #expect(!resolution.needsApproval)
    }

    @Test("a workflow not running locally takes the newer status")
    func idleWorkflowTakesNewest() {
        let resolution = resolver.resolve(
            row(
                "workflows",
                base: #"{"status": "draft"}"#,
                local: #"{"status": "active"}"#,
                remote: #"{"status": "paused"}"#
            )
        )
        #expect(resolution.value == json(#"{"status": "paused"}"#))
    }

    @Test("a workflow definition both sides changed takes the newer write whole")
    func definitionNewest() {
        let resolution = resolver.resolve(
            row(
                "workflows",
                base: #"{"definition": {"a": 1, "b": 1}}"#,
                local: #"{"definition": {"a": 2, "b": 1}}"#,
                remote: #"{"definition": {"a": 1, "b": 2}}"#,
                newer: .local
            )
        )
        #expect(resolution.value == json(#"{"definition": {"a": 2, "b": 1}}"#))
    }

    @Test("an agent's config merges member by member; its name takes the newer write")
    func agentConfigMerges() {
        let resolution = resolver.resolve(
            row(
                "agents",
                base: #"{"name": "a", "config": {"model": "m1", "tools": ["x"], "retries": 1}}"#,
                local: #"{"name": "b", "config": {"model": "m2", "tools": ["x", "y"], "retries": 1}}"#,
                remote: #"{"name": "c", "config": {"model": "m1", "tools": ["z", "x"], "retries": 4}}"#
            )
        )
        #expect(
            resolution.value
                == json(#"{"name": "c", "config": {"model": "m2", "tools": ["z", "x", "y"], "retries": 4}}"#)
        )
        #expect(!resolution.needsApproval)
    }

    @Test("an active local agent keeps its status")
    func activeAgentKeepsStatus() {
        let resolution = resolver.resolve(
            row(
                "agents",
                base: #"{"status": "inactive"}"#,
                local: #"{"status": "active"}"#,
                remote: #"{"status": "disabled"}"#
            )
        )
        #expect(resolution.value == json(#"{"status": "active"}"#))
    }

    @Test("a config member both sides changed takes the newer write whole; other members merge")
    func configsNewest() {
        let resolution = resolver.resolve(
            row(
                "configs",
                base: #"{"log": {"level": "info", "file": "a"}, "port": 1}"#,
                local: #"{"log": {"level": "debug", "file": "a"}, "port": 2}"#,
                remote: #"{"log": {"level": "info", "file": "b"}, "port": 1}"#
            )
        )
        #expect(resolution.value == json(#"{"log": {"level": "info", "file": "b"}, "port": 2}"#))
    }

    @Test("a table with no entry merges with no rules")
    func otherTables() {
        let configuration = RulesConfiguration.defaults
        #expect(configuration.defaultStrategy == .auto)
        #expect(configuration.rules(for: "executions") == EntityRules(strategy: .auto, rules: []))
    }

    @Test("the defaults text is a readable rules file naming every shipped entity")
    func defaultsText() {
        let text = RulesConfiguration.defaultsText
        for entity in ["agents", "workflows", "configs"] { #expect(text.contains("\"\(entity)\"")) }
        #expect(text.contains(#""equals": "running""#))
        #expect(text.hasSuffix("}\n"))
    }
}
