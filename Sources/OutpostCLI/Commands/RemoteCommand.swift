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
            commandName: "set",
            abstract: "Store the hub's URL and this node's token in HOME.",
            discussion: """
                The URL goes to HOME/remote.json, the token to HOME/remote.token, readable by its \
                owner only. Get a token on the hub with `outpost hub node add --tenant NAME`.

                Give the token without putting it in the command line, where every local user \
                sees it (`ps`): from a file readable by its owner only (--token-file), from \
                standard input (--token -), or in $OUTPOST_TOKEN. A trailing newline is ignored.

                An https hub is trusted through the system's certificate authorities; a hub whose \
                certificate a private authority signed needs that authority's certificate too \
                (--ca-file, kept as an absolute path in remote.json).

                Examples:
                  outpost remote set http://127.0.0.1:8080 --token-file node.token
                  outpost remote set https://hub.example --token-file t --ca-file ca.pem
                  printf '%s' "$TOKEN" | outpost remote set http://127.0.0.1:8080 --token -
                  OUTPOST_TOKEN=… outpost remote set http://127.0.0.1:8080
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The hub's URL, e.g. http://127.0.0.1:8080.") var url: String
        @Option(help: "The token itself (visible in `ps`; prefer --token-file), or - to read it from standard input.")
        var token: String?
        @Option(name: .customLong("token-file"), help: "A file holding the token, readable by its owner only.")
        var tokenFile: String?
        @Option(
            name: .customLong("ca-file"),
            help: "A PEM file of the authority that signed an https hub's certificate, trusted besides the system's.",
            completion: .file()
        )
        var caFile: String?
        @Option(
            name: .customLong("client-cert"),
            help: "This node's PEM client certificate, for a hub that requires mutual TLS (--tls-client-ca).",
            completion: .file()
        )
        var clientCertificate: String?
        @Option(name: .customLong("client-key"), help: "The PEM private key of --client-cert.", completion: .file())
        var clientKey: String?

        func run() throws {
            let store = try node.openStore()
            let remote = try RemoteConfiguration(
                url: url,
                token: try TokenSource.read(token: token, file: tokenFile),
                caFile: caFile,
                clientCertificateFile: clientCertificate,
                clientKeyFile: clientKey
            )
            // Another address may be another hub (a site hub and its upstream count versions
            // differently): the next sync finds out, before it pushes anything.
            let earlier = try RemoteConfiguration.load(home: node.homePath)
            if let earlier, earlier.url != remote.url { try SyncEngine.noteRemoteChanged(in: store) }
            try remote.save(home: node.homePath)
            print("remote set: \(remote.url) (token in \(node.homePath)/remote.token, mode 0600)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
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
                Output.json(
                    .object([
                        "url": .string(remote.url), "token_set": .bool(true),
                        "ca_file": remote.caFile.map(JSONValue.string) ?? .null,
                        "client_cert": remote.clientCertificateFile.map(JSONValue.string) ?? .null,
                    ])
                )
            } else {
                print("url: \(remote.url)")
                if let caFile = remote.caFile { print("ca file: \(caFile)") }
                if let certificate = remote.clientCertificateFile { print("client certificate: \(certificate)") }
            }
        }
    }
}
