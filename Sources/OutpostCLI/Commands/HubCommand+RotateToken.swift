import ArgumentParser
import OutpostCore
import OutpostHub

extension NodeCommand {
    struct RotateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-token",
            abstract: "Give a node a new token; the old one stops at once, even on a running hub.",
            discussion: """
                The node keeps its id, its cursor and its data; only the credential changes. A \
                pull waiting with the old token ends at once. Put the new token on the node with \
                `outpost remote set URL --token-file FILE`. A revoked node gets no new token: \
                register the machine as a new node.

                Examples:
                  outpost hub node rotate-token 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f
                  outpost hub node rotate-token "$NODE_ID" --json | jq -r .token
                """
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The node's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let token = NodeToken.generate()
            let id = self.id
            let node = try await hub.withStorage { storage in
                try await storage.rotateToken(id: id, tokenHash: NodeToken.hash(token))
            }
            if output.json {
                Output.json(
                    ["id": .string(node.id), "tenant": .string(node.tenant), "token": .string(token)] as JSONValue
                )
            } else {
                print("New token for node \(node.id) (tenant \(node.tenant)); the old one no longer works.")
                print("token: \(token)")
                print(
                    "Store it now: it is not shown again. On the node: save it in a file only you can read "
                        + "(chmod 600) and run outpost remote set URL --token-file FILE"
                )
            }
        }
    }
}
