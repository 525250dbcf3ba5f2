import ArgumentParser
import OutpostCore

/// `outpost config`: the node's settings file and what it and the environment set.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the node's effective settings and where each comes from.",
        discussion: """
            Every option of every node command can be written in HOME/outpost.toml, under a \
            section named by the command's words ([run], [sync], [files.get]); keys before the \
            first section apply to every command that has the option. An environment variable \
            OUTPOST_<COMMAND>_<OPTION> (e.g. OUTPOST_RUN_BANDWIDTH) overrides the file, and a \
            flag overrides both. Unknown sections or options and values a command refuses are \
            reported with the file and line. Secrets are never printed.

            Example HOME/outpost.toml:
              [run]
              bandwidth = "64k"
              metrics = "127.0.0.1:9464"

            Examples:
              outpost config show
              outpost config show --command sync --json
            """,
        subcommands: [Show.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print each option of a command, its value without flags, and its source.",
            discussion: """
                Checks the whole settings file and every value it and the environment give any \
                node command, so a mistake shows here before `outpost run` meets it.

                Examples:
                  outpost config show
                  outpost config show --command "files get"
                """
        )

        @OptionGroup var node: NodeOptions
        @Option(help: "The command to show, by its words (default: run).") var command = "run"
        @OptionGroup var output: OutputOptions

        func run() throws {
            let arguments = ["config", "show"] + (node.home.map { ["--home", $0] } ?? [])
            let words = command.split(separator: " ").map(String.init)
            try SettingsReport(command: words, scope: .node, arguments: arguments).print(json: output.json)
        }
    }
}
