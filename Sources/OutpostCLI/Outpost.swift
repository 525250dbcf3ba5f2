import ArgumentParser
import Foundation
import OutpostCore
import OutpostProtocol
import OutpostSync

/// The `outpost` command: every part of Outpost, one executable.
@main
struct Outpost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outpost",
        abstract: "Offline-first edge data: a node's SQLite store that syncs through a hub.",
        discussion: """
            A node keeps its agents, workflows, executions and its own tables in HOME/store.sqlite \
            and records every change to a synced table until the hub confirms it.

            HOME is --home DIR, else $OUTPOST_HOME, else ./.outpost.

            Start here:
              outpost init
              outpost agent add --name "Line camera" --type vision --config '{"fps": 5}'
              outpost status
            """,
        version: OutpostVersion.current,
        subcommands: [
            InitCommand.self,
            StatusCommand.self,
            AgentCommand.self,
            WorkflowCommand.self,
            ExecutionCommand.self,
            TrackCommand.self,
            UntrackCommand.self,
            SQLCommand.self,
            MaintenanceCommand.self,
            BackupCommand.self,
            RestoreCommand.self,
            ConflictsCommand.self,
            RulesCommand.self,
            RemoteCommand.self,
            SyncCommand.self,
            ResyncCommand.self,
            VerifyCommand.self,
            SchemaCommand.self,
            RunCommand.self,
            ConfigCommand.self,
            QueueCommand.self,
            FilesCommand.self,
            WorkspaceCommand.self,
            DemoCommand.self,
            HubCommand.self,
            BenchCommand.self,
        ]
    )

    /// Runs the command with umask 077: every home, store, hub database, chunk and key file the
    /// process creates is readable by its owner only (they hold every tenant's rows, or keys).
    /// A failure exits with the status its kind documents (``ExitStatus``).
    static func main() async {
        umask(0o077)
        do {
            var command = try parse(Self.homeAfterCommand(Array(CommandLine.arguments.dropFirst())))
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            // Outpost's own errors: their message on one line, and a status by their code.
            guard let status = ExitStatus.code(for: error) else { exit(withError: error) }
            let remedy = OutpostError.Remedy.sentence(for: error).map { " " + $0 } ?? ""
            FileHandle.standardError.write(Data("Error: \(error)\(remedy)\n".utf8))
            Foundation.exit(status)
        }
    }

    /// Parses the command line with what settings files and the environment add to it
    /// (``SettingsResolver``); a value a setting supplied that does not parse is refused with
    /// where that setting was written.
    static func parse(_ arguments: [String]) throws -> any ParsableCommand {
        let applied = try SettingsResolver().apply(to: arguments)
        do {
            return try parseAsRoot(applied.arguments)
        } catch {
            if exitCode(for: error) != .success, let located = applied.located(message(for: error)) {
                throw located
            }
            throw error
        }
    }

    /// `outpost --home DIR status` as `outpost status --home DIR`: the help says "HOME is --home
    /// DIR", and people put it first. `--home` moves to just after the command's words (before
    /// its first option, or a `--`), where the command's own `--home` reads it: a node's home,
    /// or a hub's for `outpost --home DIR hub …`.
    static func homeAfterCommand(_ arguments: [String]) -> [String] {
        guard let first = arguments.first else { return arguments }
        var moved: [String]
        var rest: [String]
        if first == "--home", arguments.count >= 2 {
            moved = Array(arguments[0...1])
            rest = Array(arguments.dropFirst(2))
        } else if first.hasPrefix("--home=") {
            moved = [first]
            rest = Array(arguments.dropFirst())
        } else {
            return arguments
        }
        let place = rest.firstIndex { $0.hasPrefix("-") } ?? rest.endIndex
        rest.insert(contentsOf: moved, at: place)
        return rest
    }

}
