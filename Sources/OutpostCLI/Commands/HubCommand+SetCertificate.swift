import ArgumentParser
import OutpostCore
import OutpostHub

extension NodeCommand {
    struct SetCertificate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-cert",
            abstract: "Bind a node's token to one client certificate, or unbind it.",
            discussion: """
                A bound token works only over a connection that presented that certificate (the \
                hub compares the certificate's SHA-256 fingerprint), so a token copied off the \
                machine is no use without the machine's key. The hub must serve with \
                --tls-client-ca, which the certificate must chain to. It takes effect at once, \
                also on a running hub. On the node: `outpost remote set URL --token-file F \
                --client-cert F --client-key F`.

                Examples:
                  outpost hub node set-cert "$NODE_ID" --client-cert line-1.pem
                  outpost hub node set-cert "$NODE_ID" --clear
                """
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The node's id.") var id: String
        @Option(name: .customLong("client-cert"), help: "The node's PEM client certificate.", completion: .file())
        var clientCertificate: String?
        @Flag(help: "Unbind the token: any certificate (or none, where allowed) will do.") var clear = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard (clientCertificate != nil) != clear else {
                throw OutpostError(
                    .invalidInput,
                    "Give --client-cert FILE to bind the node's token to a certificate, or --clear to unbind it."
                )
            }
            let fingerprint = try clientCertificate.map { path throws(OutpostError) in
                try ServerTLS.fingerprint(ofFile: path)
            }
            let id = self.id
            let node = try await hub.withStorage { storage in
                try await storage.setClientCertificate(nodeID: id, fingerprint: fingerprint)
            }
            if output.json {
                Output.json(node)
            } else if let fingerprint {
                print("Node \(node.id)'s token now works only with the certificate whose SHA-256 is \(fingerprint).")
            } else {
                print("Node \(node.id)'s token is no longer bound to a client certificate.")
            }
        }
    }
}
