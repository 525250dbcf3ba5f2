import ArgumentParser
import OutpostCore
import OutpostHub

extension TenantCommand {
    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a tenant's settings: whether its nodes must present a client certificate.",
            discussion: """
                With --require-client-cert true, every request of the tenant's nodes must come over \
                a connection that presented a client certificate the hub's --tls-client-ca signed; \
                the hub must serve with --tls-client-ca (and --tls-client-certs optional, for other \
                tenants' nodes to connect without one). It takes effect at once, also on a running \
                hub.

                Example:
                  outpost hub tenant set acme --require-client-cert true
                """
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The tenant's name.") var name: String
        @Option(
            name: .customLong("require-client-cert"),
            help: "true: every node of the tenant must present a client certificate; false: none needs one."
        )
        var requireClientCertificate: Bool
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (name, required) = (self.name, requireClientCertificate)
            try await hub.withStorage { storage in
                try await storage.setRequiresClientCertificate(tenant: name, required: required)
            }
            if output.json {
                Output.json(["tenant": .string(name), "requires_client_certificate": .bool(required)] as JSONValue)
            } else {
                print(
                    required
                        ? "Nodes of tenant \(name) must now present a client certificate."
                        : "Nodes of tenant \(name) no longer need a client certificate (unless bound to one)."
                )
            }
        }
    }
}
