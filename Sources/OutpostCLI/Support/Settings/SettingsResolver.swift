import ArgumentParser
import Foundation
import OutpostCore
import OutpostSync

/// Turns settings files and environment variables into the command-line options they stand
/// for, before ArgumentParser sees the arguments: flags override the environment, the
/// environment overrides the file, the file overrides the defaults.
///
/// Two files, never both for one command: a node's `HOME/outpost.toml` for every node command,
/// and a hub's settings file for `outpost hub …` (`--config F`, else `$OUTPOST_HUB_CONFIG`, else
/// `HUB_HOME/hub.toml` when it exists), whose sections are relative to `hub` (`[serve]`). The
/// variable for an option is `OUTPOST_` and the command's words and the option's name, upper
/// case, `-` as `_`: `OUTPOST_RUN_BANDWIDTH`, `OUTPOST_HUB_SERVE_PORT`.
///
/// The whole file is checked whichever command runs: an unknown section or option, a list for
/// an option that takes one value, or a flag set to anything but true or false is refused with
/// the file and line.
struct SettingsResolver {
    /// Which commands a settings file serves.
    enum Scope: Sendable, Equatable {
        /// Every command but `hub …`; sections are command words (`[files.get]`).
        case node
        /// `hub …` only; sections leave out the leading `hub` (`[serve]`, `[node.add]`).
        case hub

        /// The command words a section stands for.
        func path(ofSection section: [String]) -> [String] { self == .hub ? ["hub"] + section : section }

        /// The file's name in its home.
        var fileName: String { self == .hub ? "hub.toml" : "outpost.toml" }
    }

    /// One option given a value by the environment or a file.
    struct Setting: Sendable, Equatable {
        var option: CommandCatalog.Option
        var arguments: [String]
        var source: SettingSource
    }

    /// What ``apply(to:)`` did to one command line.
    struct Applied: Sendable {
        /// The arguments for ArgumentParser.
        var arguments: [String]
        var settings: [Setting]

        /// A parse error that names an option a setting supplied, given where that setting was
        /// written: "hub.toml:3: The value 'x' is invalid for '--port <port>'".
        func located(_ message: String) -> OutpostError? {
            for setting in settings where Self.names(message, option: setting.option.name) {
                let oneLine = message.split(separator: "\n").joined(separator: " ")
                let expected =
                    setting.option.abstract.isEmpty ? "" : " (--\(setting.option.name): \(setting.option.abstract))"
                return OutpostError(.invalidInput, "\(setting.source): \(oneLine)\(expected)")
            }
            return nil
        }

        /// Whether `message` names `--option` itself, not a longer option it begins
        /// (`--metrics` in `--metrics-tls-cert`).
        static func names(_ message: String, option: String) -> Bool {
            var rest = message[...]
            while let found = rest.range(of: "--\(option)") {
                let next = rest[found.upperBound...].first
                if next == nil || !(next!.isLetter || next!.isNumber || next! == "-") { return true }
                rest = rest[found.upperBound...]
            }
            return false
        }
    }

    /// Where ``catalog`` comes from: ArgumentParser's description of `outpost`, which takes
    /// tens of milliseconds to build, so it is asked for only by a command line that needs it.
    var describeCommands: @Sendable () -> CommandCatalog = { CommandCatalog.outpost }

    /// Every command and its options (``describeCommands``).
    var catalog: CommandCatalog { describeCommands() }
    var environment = ProcessInfo.processInfo.environment

    /// Adds the options files and the environment set for the command `arguments` name.
    ///
    /// Reads ArgumentParser's description of the commands only when a settings file exists or a
    /// variable of the command's family is set, so a plain command line costs nothing more.
    func apply(to arguments: [String]) throws(OutpostError) -> Applied {
        let unchanged = Applied(arguments: arguments, settings: [])
        guard let first = arguments.first, !first.hasPrefix("-") else { return unchanged }
        let scope: Scope = first == "hub" ? .hub : .node
        let location = settingsLocation(scope: scope, arguments: arguments)
        let family = Self.environmentVariable(command: [first], option: "")
        let variables = environment.keys.contains { $0.hasPrefix(family) && !Self.otherVariables.contains($0) }
        guard variables || location.named || FileManager.default.fileExists(atPath: location.path) else {
            return unchanged
        }
        let path = catalog.commandPath(in: arguments)
        guard let command = catalog.command(path), !command.options.isEmpty else { return unchanged }
        let file = try settingsFile(at: location, scope: scope)
        let given = Self.givenOptions(in: arguments.dropFirst(path.count))
        let settings = self.settings(for: command, file: file).filter { !given.contains($0.option.name) }
        var result = Array(arguments.prefix(path.count))
        for setting in settings {
            if setting.option.takesValue {
                for argument in setting.arguments { result += ["--\(setting.option.name)", argument] }
            } else if setting.arguments == ["true"] {
                result.append("--\(setting.option.name)")
            }
        }
        result += arguments.dropFirst(path.count)
        return Applied(arguments: result, settings: settings)
    }

    /// Variables Outpost reads itself that look like settings of a command family.
    static let otherVariables: Set<String> = ["OUTPOST_HUB_HOME", "OUTPOST_HUB_DATABASE", "OUTPOST_HUB_CONFIG"]

    /// The options of `command` the environment or `file` set, strongest source first.
    func settings(
        for command: CommandCatalog.Command,
        file: SettingsFile?,
        environment: [String: String]? = nil
    ) -> [Setting] {
        let environment = environment ?? self.environment
        let scope: Scope = command.path.first == "hub" ? .hub : .node
        var settings: [Setting] = []
        for option in command.options.values.sorted(by: { $0.name < $1.name }) {
            let variable = Self.environmentVariable(command: command.path, option: option.name)
            if let value = environment[variable] {
                settings.append(Setting(option: option, arguments: [value], source: .environment(variable)))
                continue
            }
            guard let file else { continue }
            let section = scope == .hub ? Array(command.path.dropFirst()) : command.path
            let entry =
                file.entries.first { $0.section == section && $0.key == option.name }
                ?? file.entries.first { $0.section.isEmpty && $0.key == option.name }
            if let entry {
                settings.append(
                    Setting(
                        option: option,
                        arguments: entry.value.arguments,
                        source: .file(path: file.path, line: entry.line)
                    )
                )
            }
        }
        return settings
    }

    /// Where the settings file for `arguments` is, and whether the command line or the
    /// environment named it (a named file must exist; a home's file may be absent).
    func settingsLocation(scope: Scope, arguments: [String]) -> (path: String, named: Bool) {
        switch scope {
        case .hub:
            if let given = Self.value(of: "config", in: arguments) ?? environment["OUTPOST_HUB_CONFIG"] {
                return (given, true)
            }
            let home = Self.value(of: "home", in: arguments) ?? environment["OUTPOST_HUB_HOME"] ?? ".outpost-hub"
            return (home + "/" + scope.fileName, false)
        case .node:
            let home = NodeHome.resolve(Self.value(of: "home", in: arguments), environment: environment)
            return (home.path + "/" + scope.fileName, false)
        }
    }

    /// The settings file at `location`, checked, or nil when a home has none.
    ///
    /// - Throws: ``OutpostError`` for a named file that does not exist, and for anything in
    ///   the file that does not fit the commands it serves.
    func settingsFile(at location: (path: String, named: Bool), scope: Scope) throws(OutpostError) -> SettingsFile? {
        guard location.named || FileManager.default.fileExists(atPath: location.path) else { return nil }
        let file = try SettingsFile.read(location.path)
        try check(file, scope: scope)
        for command in catalog.root.allCommands where (command.path.first == "hub") == (scope == .hub) {
            let settings = self.settings(for: command, file: file, environment: [:])
            if !settings.isEmpty { try Self.checkValues(settings, of: command) }
        }
        return file
    }

    /// Parses `command` with only `settings` added, and refuses a value it does not accept.
    static func checkValues(_ settings: [Setting], of command: CommandCatalog.Command) throws(OutpostError) {
        var arguments = command.path
        for setting in settings {
            if setting.option.takesValue {
                for value in setting.arguments { arguments += ["--\(setting.option.name)", value] }
            } else if setting.arguments == ["true"] {
                arguments.append("--\(setting.option.name)")
            }
        }
        let applied = Applied(arguments: arguments, settings: settings)
        do {
            _ = try Outpost.parseAsRoot(arguments)
        } catch {
            // Only a refusal that names a setting's option counts: a missing argument of the
            // command is for its command line to give.
            if Outpost.exitCode(for: error) != .success, let located = applied.located(Outpost.message(for: error)) {
                throw located
            }
        }
    }

    /// Refuses, with its line, anything in `file` that no command it serves accepts.
    func check(_ file: SettingsFile, scope: Scope) throws(OutpostError) {
        let served = catalog.root.allCommands.filter { ($0.path.first == "hub") == (scope == .hub) }
        for entry in file.entries {
            func refuse(_ reason: String, line: Int = entry.line) -> OutpostError {
                OutpostError(
                    .invalidInput,
                    "\(file.path):\(line): \(reason)",
                    details: ["file": file.path, "line": String(line)]
                )
            }
            let sectionName = "[\(entry.section.joined(separator: "."))]"
            let candidates: [CommandCatalog.Option]
            if entry.section.isEmpty {
                candidates = served.compactMap { $0.options[entry.key] }
                guard !candidates.isEmpty else {
                    throw refuse("no command this file serves has an option --\(entry.key)")
                }
            } else {
                let path = scope.path(ofSection: entry.section)
                guard let command = catalog.command(path), scope == .hub || path.first != "hub" else {
                    throw refuse(
                        "\(sectionName) names no command (sections are command words joined by dots, e.g. [run])",
                        line: entry.sectionLine
                    )
                }
                guard let option = command.options[entry.key] else {
                    throw refuse("`\((["outpost"] + path).joined(separator: " "))` has no option --\(entry.key)")
                }
                candidates = [option]
            }
            if scope == .node, entry.key == "home" {
                throw refuse("home cannot be set in the file that lives in it; use --home or $OUTPOST_HOME")
            }
            if scope == .hub, entry.key == "config" {
                throw refuse("config cannot name another settings file")
            }
            for option in candidates {
                let isBool = if case .bool = entry.value { true } else { false }
                if !option.takesValue, !isBool {
                    throw refuse("--\(entry.key) is a flag: write true or false")
                }
                if !option.repeats, case .array = entry.value {
                    throw refuse("--\(entry.key) takes one value, not a list")
                }
            }
        }
    }

    /// `OUTPOST_HUB_SERVE_PORT` for `hub serve --port`.
    static func environmentVariable(command path: [String], option: String) -> String {
        (["OUTPOST"] + path + [option]).joined(separator: "_").uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The long options given in `arguments` (before a `--`).
    static func givenOptions(in arguments: ArraySlice<String>) -> Set<String> {
        var names: Set<String> = []
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            names.insert(String(argument.dropFirst(2).prefix { $0 != "=" }))
        }
        return names
    }

    /// The value of `--name V` or `--name=V` in `arguments`, the last one given.
    static func value(of name: String, in arguments: [String]) -> String? {
        var found: String?
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument == "--\(name)", index + 1 < arguments.endIndex {
                found = arguments[index + 1]
                index += 1
            } else if argument.hasPrefix("--\(name)=") {
                found = String(argument.dropFirst(name.count + 3))
            }
            index += 1
        }
        return found
    }
}
