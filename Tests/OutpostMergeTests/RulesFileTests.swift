import OutpostCore
import OutpostMerge
import Testing

@Suite("Rules files")
struct RulesFileTests {
    static let fullExample = """
        {
          "default_strategy": "merge",
          "entities": {
            "agents": {
              "strategy": "auto",
              "rules": [
                {"field": "name", "action": "newest"},
                {"field": "status", "action": "local", "weight": 10,
                 "when": {"side": "local", "field": "status", "equals": "active"}},
                {"field": "config.*", "action": "merge"},
                {"field": "config.limits.*", "action": "custom", "handler": "max"},
                {"field": "type", "action": "remote", "when": {"side": "remote", "in": ["llm", "rule"]}},
                {"field": "owner", "action": "local", "when": {"side": "base", "exists": false}}
              ]
            },
            "audit": {"strategy": "custom", "handler": "append-only"},
            "drafts": {"strategy": "manual"},
            "cache": {"strategy": "remote_wins"}
          }
        }
        """

    @Test("a full example parses into the configuration it describes")
    func parsesFullExample() throws {
        let configuration = try RulesConfiguration(parsing: Self.fullExample)
        #expect(configuration.defaultStrategy == .merge)
        #expect(configuration.entities["audit"]?.strategy == .custom(handler: "append-only"))
        #expect(configuration.entities["cache"]?.strategy == .remoteWins)
        let agents = try #require(configuration.entities["agents"])
        #expect(agents.rules.count == 6)
        #expect(
            agents.rules[1]
                == Rule(
                    field: "status",
                    action: .local,
                    when: RuleCondition(side: .local, field: "status", test: .equals("active")),
                    weight: 10
                )
        )
        #expect(agents.rules[3].action == .custom(handler: "max"))
        #expect(agents.rules[4].condition?.test == .isOneOf(["llm", "rule"]))
        #expect(agents.rules[5].condition?.test == .exists(false))
        #expect(configuration.handlerNames == ["append-only", "max"])
        #expect(configuration.rules(for: "unlisted") == EntityRules(strategy: .merge))
    }

    @Test("a configuration survives encoding and parsing unchanged")
    func roundTrips() throws {
        let configuration = try RulesConfiguration(parsing: Self.fullExample)
        #expect(try RulesConfiguration(parsing: configuration.encoded()) == configuration)
        #expect(try RulesConfiguration(parsing: RulesConfiguration.defaultsText) == .defaults)
    }

    @Test("an empty object is the default configuration: auto, no rules")
    func emptyFile() throws {
        #expect(try RulesConfiguration(parsing: "{}") == RulesConfiguration())
    }

    @Test("malformed JSON is refused with its line and column")
    func malformedJSON() {
        let text = "{\n  \"default_strategy\": \"auto\",\n  \"entities\": {,}\n}"
        let error = #expect(throws: OutpostError.self) { try RulesConfiguration(parsing: text) }
        #expect(error?.code == .invalidJSON)
        #expect(error?.details["line"] == "3")
        #expect(error?.message.hasPrefix("Invalid rules file. Invalid JSON at line 3") == true)
    }

    @Test(
        "semantic errors are refused with the path and what to write",
        arguments: [
            (#"[]"#, "the top level", "expected an object, found array"),
            (#"{"default_strategy": "fastest"}"#, "default_strategy", "unknown strategy 'fastest'; use one of auto"),
            (#"{"default_stratgy": "auto"}"#, "default_stratgy", "unknown member; use one of default_handler"),
            (#"{"default_strategy": "custom"}"#, "default_handler", "needs the name of a registered handler"),
            (#"{"entities": {"a": {"strategy": "auto", "handler": "h"}}}"#, "entities.a.handler", "only used"),
            (#"{"entities": []}"#, "entities", "expected an object, found array"),
            (#"{"entities": {"a": {"rules": {}}}}"#, "entities.a.rules", "expected an array of rules"),
            (
                #"{"entities": {"agents": {"rules": [{"field": "a", "action": "local"}, "#
                    + #"{"field": "b", "action": "local"}, {"field": "c", "action": "x"}]}}}"#,
                "entities.agents.rules[2].action",
                "unknown action 'x'; use one of local, remote, newest, merge, custom"
            ),
        ]
    )
    func refusesInvalidFiles(text: String, path: String, reason: String) {
        expectRefusal(text, path: path, reason: reason)
    }

    @Test(
        "bad rules are refused with the rule's path and what to write",
        arguments: [
            (#"{"action": "local"}"#, "field", "missing"),
            (#"{"field": "x"}"#, "action", "missing"),
            (#"{"field": "a..b", "action": "local"}"#, "field", "empty segment"),
            (#"{"field": 3, "action": "local"}"#, "field", "expected a string, found number"),
            (#"{"field": "x", "action": "custom"}"#, "handler", "needs the name"),
            (#"{"field": "x", "action": "local", "handler": "h"}"#, "handler", "only used with the custom action"),
            (#"{"field": "x", "action": "local", "weight": -1}"#, "weight", "whole number"),
            (#"{"field": "x", "action": "local", "weight": 1.5}"#, "weight", "whole number"),
            (#"{"field": "x", "action": "local", "acton": 1}"#, "acton", "unknown member"),
            (#"{"field": "x", "action": "local", "when": {"equals": 1}}"#, "when.side", "missing"),
            (#"{"field": "x", "action": "local", "when": {"side": "left", "equals": 1}}"#, "when.side", "unknown side"),
            (#"{"field": "x", "action": "local", "when": {"side": "local"}}"#, "when", "exactly one test"),
            (
                #"{"field": "x", "action": "local", "when": {"side": "local", "equals": 1, "exists": true}}"#, "when",
                "exactly one test"
            ),
            (#"{"field": "x", "action": "local", "when": {"side": "local", "in": 3}}"#, "when.in", "expected an array"),
            (
                #"{"field": "x", "action": "local", "when": {"side": "local", "exists": "yes"}}"#, "when.exists",
                "expected true or false"
            ),
            (
                #"{"field": "x", "action": "local", "when": {"side": "local", "field": "", "exists": true}}"#,
                "when.field", "must not be empty"
            ),
        ]
    )
    func refusesInvalidRules(rule: String, member: String, reason: String) {
        let text = #"{"entities": {"a": {"rules": ["# + rule + "]}}}"
        expectRefusal(text, path: "entities.a.rules[0].\(member)", reason: reason)
    }

    private func expectRefusal(_ text: String, path: String, reason: String) {
        let error = #expect(throws: OutpostError.self) { try RulesConfiguration(parsing: text) }
        #expect(error?.code == .invalidInput)
        #expect(error?.details["path"] == path)
        #expect(error?.message.hasPrefix("Invalid rules file at \(path): ") == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }
}
