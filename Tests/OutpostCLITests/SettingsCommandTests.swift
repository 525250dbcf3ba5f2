import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// Settings files and variables, through the real executable: a flag beats a variable, a
/// variable beats the file, the file beats the default, and a mistake in the file is refused
/// with its file and line before anything happens.
@Suite("Settings files and variables")
struct SettingsCommandTests {
    /// A hub home with tenant `acme`, and the hub's settings file beside it.
    private struct Hub {
        let folder: TemporaryDirectory
        var home: String { folder.appending("hub") }
        var settings: String { folder.appending("hub.toml") }

        init() async throws {
            folder = try TemporaryDirectory(prefix: "outpost-settings")
            let added = try await OutpostExecutable.run(["hub", "tenant", "add", "acme", "--home", home])
            try #require(added.status == 0, "\(added)")
        }

        func write(_ text: String) throws { try text.write(toFile: settings, atomically: true, encoding: .utf8) }

        func outpost(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
            try await OutpostExecutable.run(arguments, environment: environment)
        }

        func nodeNames() async throws -> [String] {
            let listed = try await outpost(["hub", "node", "list", "--home", home, "--json"])
            try #require(listed.status == 0, "\(listed)")
            guard case .array(let nodes) = try JSONValue(parsing: listed.stdout) else { return [] }
            return nodes.compactMap { $0["name"]?.stringValue }.sorted()
        }
    }

    @Test("a hub command takes its options from --config, a variable beats the file, and a flag beats both")
    func hubPrecedence() async throws {
        let hub = try await Hub()
        try hub.write(
            """
            home = "\(hub.home)"
            tenant = "acme"          # every hub command with --tenant

            [node.add]
            name = "from-file"
            """
        )
        let fromFile = try await hub.outpost(["hub", "node", "add", "--config", hub.settings])
        #expect(fromFile.status == 0, "\(fromFile)")
        let fromVariable = try await hub.outpost(
            ["hub", "node", "add", "--config", hub.settings],
            environment: ["OUTPOST_HUB_NODE_ADD_NAME": "from-variable"]
        )
        #expect(fromVariable.status == 0, "\(fromVariable)")
        let fromFlag = try await hub.outpost(
            ["hub", "node", "add", "--name", "from-flag"],
            environment: ["OUTPOST_HUB_CONFIG": hub.settings, "OUTPOST_HUB_NODE_ADD_NAME": "from-variable"]
        )
        #expect(fromFlag.status == 0, "\(fromFlag)")
        #expect(try await hub.nodeNames() == ["from-file", "from-flag", "from-variable"])

        // HOME/hub.toml is read without --config.
        try "[node.add]\nname = \"from-home\"\ntenant = \"acme\"\n".write(
            toFile: hub.home + "/hub.toml",
            atomically: true,
            encoding: .utf8
        )
        let fromHome = try await hub.outpost(["hub", "node", "add", "--home", hub.home])
        #expect(fromHome.status == 0, "\(fromHome)")
        #expect(try await hub.nodeNames().contains("from-home"))
    }

    @Test("hub config show prints each value and its source, with the database password redacted")
    func hubShow() async throws {
        let hub = try await Hub()
        try hub.write(
            """
            [serve]
            host = "0.0.0.0"
            database = "postgres://outpost:hunter2@db.example/outpost"
            """
        )
        let shown = try await hub.outpost(
            ["hub", "config", "show", "--config", hub.settings, "--json"],
            environment: ["OUTPOST_HUB_SERVE_PORT": "9000"]
        )
        try #require(shown.status == 0, "\(shown)")
        #expect(!shown.stdout.contains("hunter2"), "the password is never printed: \(shown.stdout)")
        let report = try JSONValue(parsing: shown.stdout)
        guard case .array(let settings)? = report["settings"] else {
            Issue.record("no settings: \(shown.stdout)")
            return
        }
        func setting(_ name: String) -> JSONValue? { settings.first { $0["option"]?.stringValue == name } }
        #expect(setting("host")?["value"]?.stringValue == "0.0.0.0")
        #expect(setting("host")?["source"]?.stringValue == "file")
        #expect(setting("host")?["line"] == .integer(2))
        #expect(setting("port")?["value"]?.stringValue == "9000")
        #expect(setting("port")?["variable"]?.stringValue == "OUTPOST_HUB_SERVE_PORT")
        #expect(setting("max-body-mib")?["source"]?.stringValue == "default")
        #expect(setting("database")?["value"]?.stringValue == "postgres://outpost:(redacted)@db.example/outpost")

        let text = try await hub.outpost(["hub", "config", "show", "--config", hub.settings])
        #expect(text.status == 0 && !text.stdout.contains("hunter2"), "\(text)")
        #expect(text.stdout.contains("\(hub.settings):2"), "\(text.stdout)")
    }

    @Test("a mistake in a hub's settings file is refused with its file and line, and nothing happens")
    func hubRefusals() async throws {
        let hub = try await Hub()
        let cases: [(String, String)] = [
            (
                "[node.add]\ntenant = \"acme\"\ncolour = \"red\"",
                "\(hub.settings):3: `outpost hub node add` has no option --colour"
            ),
            ("[nodes.add]\nname = \"x\"", "\(hub.settings):1: [nodes.add] names no command"),
            ("[node.add]\ntenant = \"acme\"\njson = \"yes\"", "\(hub.settings):3: --json is a flag"),
            ("[node.add]\ntenant = [\"acme\", \"b\"]", "\(hub.settings):2: --tenant takes one value"),
            (
                "[serve]\nport = \"eighty\"\n[node.add]\ntenant = \"acme\"",
                "\(hub.settings):2: The value 'eighty' is invalid for '--port"
            ),
            ("[node.add]\ntenant = acme", "\(hub.settings):2: tenant: 'acme' is not a value"),
            ("[run]\nbandwidth = \"1k\"", "\(hub.settings):1: [run] names no command"),
        ]
        for (text, message) in cases {
            try hub.write(text)
            let added = try await hub.outpost(["hub", "node", "add", "--home", hub.home, "--config", hub.settings])
            expectOneLineFailure(added, mentioning: message)
            // `hub config show` checks every command's values, not only the one it shows.
            let shown = try await hub.outpost(["hub", "config", "show", "--config", hub.settings])
            expectOneLineFailure(shown, mentioning: message)
        }
        #expect(try await hub.nodeNames().isEmpty, "no refused command added a node")

        let missing = try await hub.outpost(["hub", "tenant", "list", "--config", hub.folder.appending("nope.toml")])
        expectOneLineFailure(missing, mentioning: "nope.toml does not exist")
        try hub.write("[serve]\nport = \"1\"\n")
        let badVariable = try await hub.outpost(
            ["hub", "config", "show", "--config", hub.settings],
            environment: ["OUTPOST_HUB_SERVE_MAX_BODY_MIB": "lots"]
        )
        expectOneLineFailure(badVariable, mentioning: "$OUTPOST_HUB_SERVE_MAX_BODY_MIB: The value 'lots' is invalid")
    }

    @Test("a node reads HOME/outpost.toml: the file beats the default, a variable beats the file")
    func nodePrecedence() async throws {
        let node = try await CLINode()
        let plain = try await node.outpost("status")
        #expect(plain.status == 0 && !plain.stdout.hasPrefix("{"), "\(plain)")

        try "json = true   # every command with --json\n".write(
            toFile: node.home + "/outpost.toml",
            atomically: true,
            encoding: .utf8
        )
        let fromFile = try await node.outpost("status")
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect((try? JSONValue(parsing: fromFile.stdout)) != nil, "status printed JSON: \(fromFile.stdout)")

        try "[run]\nbandwidth = \"64k\"\nmax-runs = 2\n[sync]\nbandwidth = \"1m\"\n".write(
            toFile: node.home + "/outpost.toml",
            atomically: true,
            encoding: .utf8
        )
        let report = try await node.json("config", "show")
        guard case .array(let settings)? = report["settings"], case .array(let others)? = report["other_commands"]
        else {
            Issue.record("\(report)")
            return
        }
        func setting(_ name: String) -> JSONValue? { settings.first { $0["option"]?.stringValue == name } }
        #expect(setting("bandwidth")?["value"]?.stringValue == "64k")
        #expect(setting("bandwidth")?["line"] == .integer(2))
        #expect(setting("home") == nil, "the home is not a setting of the file inside it")
        #expect(others.contains { $0["command"]?.stringValue == "sync" && $0["value"]?.stringValue == "1m" })

        let overridden = try await OutpostExecutable.run(
            ["config", "show", "--json"],
            home: node.home,
            environment: ["OUTPOST_RUN_MAX_RUNS": "7"]
        )
        let maxRuns: JSONValue? =
            if case .array(let shown)? = try JSONValue(parsing: overridden.stdout)["settings"] {
                shown.first { $0["option"]?.stringValue == "max-runs" }
            } else { nil }
        #expect(maxRuns?["value"]?.stringValue == "7")
        #expect(maxRuns?["source"]?.stringValue == "environment")
    }

    @Test("a node's bad setting stops the command it reaches, with the file and line")
    func nodeRefusals() async throws {
        let node = try await CLINode()
        let file = node.home + "/outpost.toml"
        try "[run]\nhealth-max-sync-age = \"soon\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await node.outpost("run")
        expectOneLineFailure(run, mentioning: "\(file):2: The value 'soon' is invalid for '--health-max-sync-age")
        let shown = try await node.outpost("config", "show", "--command", "status")
        expectOneLineFailure(shown, mentioning: "\(file):2:")

        try "home = \"/elsewhere\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        expectOneLineFailure(try await node.outpost("status"), mentioning: "\(file):1: home cannot be set")
        try "[hub.serve]\nport = 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        expectOneLineFailure(try await node.outpost("status"), mentioning: "\(file):1: [hub.serve] names no command")
    }
}
