import ArgumentParser
import OutpostCore
import OutpostSync

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "Set or show the hub this node syncs with.",
        subcommands: [Set.self, Show.self]
    )

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store the hub's URL and this node's token in HOME.",
            discussion: """
                The URL goes to HOME/remote.json, the token to HOME/remote.token, readable by its
                owner only. Get a token on the hub with `outpost hub node add --tenant NAME`.

                Example:
                  outpost remote set http://127.0.0.1:8080 --token "$TOKEN"
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The hub's URL, e.g. http://127.0.0.1:8080.") var url: String
        @Option(help: "The node's bearer token, as `outpost hub node add` printed it.") var token: String

        func run() throws {
            _ = try node.openStore()
            let remote = try RemoteConfiguration(url: url, token: token)
            try remote.save(home: node.homePath)
            print("remote set: \(remote.url) (token in \(node.homePath)/remote.token, mode 0600)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the hub this node syncs with (never the token).",
            discussion: """
                Example:
                  outpost remote show --json
                """
        )
        @OptionGroup var node: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            _ = try node.openStore()
            let remote = try RemoteConfiguration.require(home: node.homePath)
            if output.json {
                Output.json(.object(["url": .string(remote.url), "token_set": .bool(true)]))
            } else {
                print("url: \(remote.url)")
            }
        }
    }
}
