import ArgumentParser
import Foundation

/// Every `outpost` command and the long options it accepts, read from ArgumentParser's own
/// description of the tool, so settings files and environment variables can set exactly the
/// options the flags can, and a new flag is settable without a line of code here.
struct CommandCatalog: Sendable {
    /// One long option (or flag) of a command.
    struct Option: Sendable, Equatable {
        var name: String
        /// False for a flag (`--json`): set by `true`, left out by `false`.
        var takesValue: Bool
        var repeats: Bool
        var defaultValue: String?
        var abstract: String
    }

    /// One command: its words after `outpost` and its options by name.
    struct Command: Sendable {
        var path: [String]
        var options: [String: Option]
        var subcommands: [String: Command]

        /// This command and every command below it.
        var allCommands: [Command] { [self] + subcommands.values.flatMap(\.allCommands) }
    }

    /// Options every command has that no setting may set.
    static let reservedOptions: Set<String> = ["help", "version", "experimental-dump-help"]

    var root: Command

    /// The catalog of the `outpost` executable.
    static let outpost = CommandCatalog(describing: Outpost.self)

    init(describing command: any ParsableCommand.Type) {
        let data = Data(command._dumpHelp().utf8)
        guard let tool = try? JSONDecoder().decode(ToolDescription.self, from: data) else {
            preconditionFailure("ArgumentParser's tool description no longer decodes")
        }
        root = Self.command(tool.command, path: [])
    }

    /// The command `path` names, if any.
    func command(_ path: [String]) -> Command? {
        var command = root
        for word in path {
            guard let next = command.subcommands[word] else { return nil }
            command = next
        }
        return command
    }

    /// The longest run of leading arguments that names a command.
    func commandPath(in arguments: [String]) -> [String] {
        var command = root
        var path: [String] = []
        for argument in arguments {
            guard let next = command.subcommands[argument] else { break }
            path.append(argument)
            command = next
        }
        return path
    }

    private static func command(_ description: ToolDescription.Command, path: [String]) -> Command {
        var options: [String: Option] = [:]
        for argument in description.arguments ?? [] where argument.kind != "positional" {
            for name in argument.names ?? [] where name.kind == "long" && !reservedOptions.contains(name.name) {
                options[name.name] = Option(
                    name: name.name,
                    takesValue: argument.kind == "option",
                    repeats: argument.isRepeating ?? false,
                    defaultValue: argument.defaultValue,
                    abstract: argument.abstract ?? ""
                )
            }
        }
        var subcommands: [String: Command] = [:]
        for sub in description.subcommands ?? [] where sub.commandName != "help" {
            subcommands[sub.commandName] = command(sub, path: path + [sub.commandName])
        }
        return Command(path: path, options: options, subcommands: subcommands)
    }
}

/// The part of ArgumentParser's `--experimental-dump-help` JSON the catalog reads.
private struct ToolDescription: Decodable {
    struct Name: Decodable {
        var kind: String
        var name: String
    }

    struct Argument: Decodable {
        var kind: String
        var names: [Name]?
        var isRepeating: Bool?
        var defaultValue: String?
        var abstract: String?
    }

    struct Command: Decodable {
        var commandName: String
        var arguments: [Argument]?
        var subcommands: [Command]?
    }

    var command: Command
}
