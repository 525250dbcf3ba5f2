import ArgumentParser
import Foundation
import OutpostCore

/// What `outpost config show` and `outpost hub config show` print: each option of one command
/// with the value it takes when run without flags and where that value comes from, then the
/// settings the file and the environment give other commands. Secrets are never printed.
struct SettingsReport {
    struct Row {
        var command: [String]
        var option: String
        /// Nil when the option is unset (no default).
        var value: String?
        var source: SettingSource
    }

    /// The settings file read, or where it would be.
    var file: String
    var fileExists: Bool
    var command: [String]
    var rows: [Row]
    /// Settings of other commands, from the file or the environment.
    var elsewhere: [Row]

    /// Builds the report for `command`, and checks every value the settings give any command
    /// by parsing that command with them.
    ///
    /// - Throws: ``OutpostError`` naming the file and line (or the variable) of a value the
    ///   command refuses, or of anything in the file no command accepts.
    init(command words: [String], scope: SettingsResolver.Scope, arguments: [String]) throws(OutpostError) {
        let resolver = SettingsResolver()
        let path = scope.path(ofSection: words)
        guard let chosen = resolver.catalog.command(path), !chosen.options.isEmpty else {
            throw OutpostError(
                .invalidInput,
                "`\((["outpost"] + path).joined(separator: " "))` is not a command with options; name one such as "
                    + (scope == .hub ? "serve" : "run") + "."
            )
        }
        let location = resolver.settingsLocation(scope: scope, arguments: arguments)
        let settingsFile = try resolver.settingsFile(at: location, scope: scope)
        file = location.path
        fileExists = settingsFile != nil
        command = path

        var elsewhere: [Row] = []
        let served = resolver.catalog.root.allCommands.filter {
            ($0.path.first == "hub") == (scope == .hub) && !$0.options.isEmpty
        }
        for other in served.sorted(by: { $0.path.lexicographicallyPrecedes($1.path) }) {
            let settings = resolver.settings(for: other, file: settingsFile)
            guard !settings.isEmpty else { continue }
            try SettingsResolver.checkValues(settings, of: other)
            if other.path != path {
                elsewhere += settings.map {
                    Row(command: other.path, option: $0.option.name, value: Self.shown($0), source: $0.source)
                }
            }
        }
        self.elsewhere = elsewhere
        let set = resolver.settings(for: chosen, file: settingsFile)
        // Not settings: a node's home is where its file lives, and a hub's file is chosen by
        // --config or $OUTPOST_HUB_CONFIG.
        let shownOptions = chosen.options.values.filter { $0.name != (scope == .hub ? "config" : "home") }
        rows = shownOptions.sorted { $0.name < $1.name }.map { option in
            if let setting = set.first(where: { $0.option.name == option.name }) {
                return Row(command: path, option: option.name, value: Self.shown(setting), source: setting.source)
            }
            let value = option.takesValue ? option.defaultValue : "false"
            return Row(command: path, option: option.name, value: value, source: .defaultValue)
        }
    }

    func print(json: Bool) {
        if json {
            func object(_ row: Row) -> JSONValue {
                var object: [String: JSONValue] = [
                    "command": .string(row.command.joined(separator: " ")), "option": .string(row.option),
                    "value": row.value.map(JSONValue.string) ?? .null, "source": .string(row.source.kind),
                ]
                switch row.source {
                case .file(let path, let line):
                    object["file"] = .string(path)
                    object["line"] = .integer(Int64(line))
                case .environment(let name): object["variable"] = .string(name)
                case .flag, .defaultValue: break
                }
                return .object(object)
            }
            Output.json(
                [
                    "file": .string(file), "file_exists": .bool(fileExists),
                    "command": .string(command.joined(separator: " ")),
                    "settings": .array(rows.map(object)), "other_commands": .array(elsewhere.map(object)),
                ] as JSONValue
            )
            return
        }
        Swift.print("Settings file: \(file)\(fileExists ? "" : " (none there)")")
        Swift.print("`outpost \(command.joined(separator: " "))` without flags:")
        Output.table(
            headers: ["OPTION", "VALUE", "FROM"],
            rows: rows.map { ["--" + $0.option, $0.value ?? "(unset)", $0.source.description] },
            maximumCellWidth: 160
        )
        guard !elsewhere.isEmpty else { return }
        Swift.print("\nOther commands:")
        Output.table(
            headers: ["COMMAND", "OPTION", "VALUE", "FROM"],
            rows: elsewhere.map {
                [$0.command.joined(separator: " "), "--" + $0.option, $0.value ?? "", $0.source.description]
            },
            maximumCellWidth: 160
        )
    }

    /// A setting's value as printed: secrets redacted, the password of a database URL hidden.
    static func shown(_ setting: SettingsResolver.Setting) -> String {
        let name = setting.option.name
        let value = setting.arguments.joined(separator: ", ")
        let secret = ["token", "password", "secret"].contains { name.contains($0) } && !name.hasSuffix("-file")
        if secret { return "(redacted)" }
        return value.replacingOccurrences(
            of: #"(://[^:/@]*):[^@/]*@"#,
            with: "$1:(redacted)@",
            options: .regularExpression
        )
    }
}
