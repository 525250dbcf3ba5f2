import Foundation
import OutpostCore
import OutpostMerge
import OutpostTesting
import Testing

@Suite("outpost rules: show and set HOME/rules.json", .serialized)
struct RulesCommandTests {
    static let custom = """
        {
          "default_strategy": "merge",
          "entities": {
            "agents": {"strategy": "auto", "rules": [{"field": "name", "action": "local"}]}
          }
        }
        """

    func rulesPath(_ node: CLINode) -> String { node.home + "/rules.json" }

    func write(_ text: String, in node: CLINode, as name: String) throws -> String {
        let path = node.folder.appending(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("with no rules file the shipped defaults are in force, and show says so")
    func defaults() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let shown = try await node.outpost("rules", "show")
        #expect(shown.status == 0 && shown.stdout.contains("shipped defaults"))
        #expect(shown.stdout.contains(RulesConfiguration.defaultsText))
        let json = try await node.json("rules", "show")
        #expect(json["source"] == "defaults" && json["path"] == .string(rulesPath(node)))
        #expect(try RulesConfiguration(json: json["rules"]!) == .defaults)
    }

    @Test("set --file validates, then replaces rules.json; show prints what is in force")
    func setFile() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let file = try write(Self.custom, in: node, as: "custom.json")
        let result = try await node.outpost("rules", "set", "--file", file)
        #expect(result.status == 0, "\(result)")
        #expect(try String(contentsOfFile: rulesPath(node), encoding: .utf8) == Self.custom)
        let json = try await node.json("rules", "show")
        #expect(json["source"] == "file")
        #expect(try RulesConfiguration(json: json["rules"]!) == RulesConfiguration(parsing: Self.custom))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: node.home).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test(
        "an invalid file is refused with its line or member, and the previous rules stay in force",
        arguments: [
            ("{\n  \"default_strategy\": \"merge\",\n  \"entities\": {\"agents\": }\n}", "line 3, column 26"),
            (
                #"{"entities": {"agents": {"rules": [{"field": "name", "action": "x"}]}}}"#,
                "entities.agents.rules[0].action: unknown action 'x'"
            ),
            (#"{"default_strategy": "sometimes"}"#, "default_strategy: unknown strategy 'sometimes'"),
            (#"{"entities": {"agents": {"rules": [{"field": "name", "acton": "local"}]}}}"#, "acton: unknown member"),
        ]
    )
    func refusesInvalidFile(text: String, message: String) async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        #expect(
            try await node.outpost("rules", "set", "--file", try write(Self.custom, in: node, as: "good.json")).status
                == 0
        )
        let bad = try write(text, in: node, as: "bad.json")
        let result = try await node.outpost("rules", "set", "--file", bad)
        expectOneLineFailure(result, mentioning: message)
        #expect(result.stderr.contains("previous rules stay in force"))
        #expect(try String(contentsOfFile: rulesPath(node), encoding: .utf8) == Self.custom)
        #expect(try await node.json("rules", "show")["rules"]?["default_strategy"] == "merge")
    }

    @Test("a hand-broken rules.json makes show fail with the line and reason; set --file repairs it")
    func brokenFile() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        try "{\n  \"default_strategy\": \"auto\",\n  oops\n}".write(
            toFile: rulesPath(node),
            atomically: true,
            encoding: .utf8
        )
        expectOneLineFailure(try await node.outpost("rules", "show"), mentioning: "line 3, column 3")
        expectOneLineFailure(
            try await node.outpost("rules", "set", "agents", "--field", "name", "--action", "local"),
            mentioning: "rules.json"
        )
        let good = try write(Self.custom, in: node, as: "good.json")
        #expect(try await node.outpost("rules", "set", "--file", good).status == 0)
        #expect(try await node.outpost("rules", "show").status == 0)
    }

    @Test("the inline form edits the rules in force and writes them back")
    func inlineEdits() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        var result = try await node.outpost("rules", "set", "workflows", "--field", "definition", "--action", "merge")
        #expect(result.status == 0, "\(result)")
        var rules = try RulesConfiguration(parsing: String(contentsOfFile: rulesPath(node), encoding: .utf8))
        let workflows = rules.rules(for: "workflows").rules
        #expect(workflows.count == 2 && workflows[1].field.text == "definition" && workflows[1].action == .merge)
        #expect(rules.rules(for: "agents") == RulesConfiguration.defaults.rules(for: "agents"))

        result = try await node.outpost(
            "rules",
            "set",
            "readings",
            "--field",
            "value",
            "--action",
            "newest",
            "--weight",
            "5"
        )
        #expect(result.status == 0, "\(result)")
        result = try await node.outpost("rules", "set", "drafts", "--strategy", "manual")
        #expect(result.status == 0, "\(result)")
        result = try await node.outpost("rules", "set", "agents", "--field", "name", "--remove")
        #expect(result.status == 0, "\(result)")
        rules = try RulesConfiguration(parsing: String(contentsOfFile: rulesPath(node), encoding: .utf8))
        #expect(rules.rules(for: "readings").rules.first?.weight == 5)
        #expect(rules.rules(for: "drafts").strategy == .manual)
        #expect(!rules.rules(for: "agents").rules.contains { $0.field.text == "name" })
    }

    @Test(
        "a bad inline edit is refused and rules.json is unchanged",
        arguments: [
            (["agents", "--field", "name", "--action", "sideways"], "unknown action 'sideways'"),
            (["agents", "--field", "name", "--action", "local", "--weight", "2000000"], "weight"),
            (["agents", "--field", "conf..x", "--action", "local"], "rules[1].field"),
            (["agents", "--strategy", "maybe"], "unknown strategy 'maybe'"),
            (["agents", "--strategy", "custom"], "needs the name of a registered handler"),
            (["agents", "--field", "name"], "--field needs --action"),
            (["agents", "--field", "nothing", "--remove"], "no rule for the field pattern 'nothing'"),
            (["agents"], "Give --strategy or --field"),
            ([], "Say what to change"),
            (["agents", "--file", "x.json"], "--file replaces every rule"),
        ]
    )
    func refusesBadEdit(arguments: [String], message: String) async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        #expect(
            try await node.outpost("rules", "set", "--file", try write(Self.custom, in: node, as: "good.json")).status
                == 0
        )
        let result = try await node.outpost(arguments: ["rules", "set"] + arguments)
        expectOneLineFailure(result, mentioning: message)
        #expect(try String(contentsOfFile: rulesPath(node), encoding: .utf8) == Self.custom)
    }
}
