import ArgumentParser
import OutpostCore

extension HubCommand {
    /// `outpost hub config`: the hub's settings file and what it and the environment set.
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Show the hub's effective settings and where each comes from.",
            discussion: """
                Every option of every hub command can be written in a settings file: --config F, \
                else $OUTPOST_HUB_CONFIG, else HOME/hub.toml when it exists. Sections name the \
                command after `hub` ([serve], [node.add]); keys before the first section apply \
                to every hub command that has the option. An environment variable \
                OUTPOST_HUB_<COMMAND>_<OPTION> (e.g. OUTPOST_HUB_SERVE_PORT) overrides the file, \
                and a flag overrides both. Unknown sections or options and values a command \
                refuses are reported with the file and line. Secrets (the password in a \
                database URL) are never printed.

                Example /etc/outpost/hub.toml:
                  home = "/var/lib/outpost-hub"
                  [serve]
                  host = "0.0.0.0"
                  tls-cert = "/etc/outpost/hub.pem"
                  tls-key = "/etc/outpost/hub.key"

                Examples:
                  outpost hub config show --config /etc/outpost/hub.toml
                  outpost hub config show --command gc --json
                """,
            subcommands: [Show.self]
        )

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show",
                abstract: "Print each option of a hub command, its value without flags, and its source.",
                discussion: """
                    Checks the whole settings file and every value it and the environment give \
                    any hub command, so a mistake shows here before `outpost hub serve` meets it.

                    Example:
                      outpost hub config show --config /etc/outpost/hub.toml
                    """
            )

            @OptionGroup var hub: HubOptions
            @Option(help: "The hub command to show, by its words after `hub` (default: serve).") var command = "serve"
            @OptionGroup var output: OutputOptions

            func run() throws {
                let arguments =
                    ["hub", "config", "show"] + (hub.home.map { ["--home", $0] } ?? [])
                    + (hub.config.map { ["--config", $0] } ?? [])
                let words = command.split(separator: " ").map(String.init)
                try SettingsReport(command: words, scope: .hub, arguments: arguments).print(json: output.json)
            }
        }
    }
}
