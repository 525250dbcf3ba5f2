import ArgumentParser
import OutpostCore
import OutpostHub

extension NodeCommand {
    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set or remove a node's attributes, which the tenant's scopes match rows against.",
            discussion: """
                Attributes given replace those of the same name; the others stay. It takes \
                effect at once, also on a running hub: the node's next pull and push meet its \
                new scope. Rows it already holds that its new scope leaves out stay on it until \
                it re-syncs (`outpost resync TABLE` on the node).

                Examples:
                  outpost hub node set "$NODE_ID" --attr site=paris
                  outpost hub node set "$NODE_ID" --attr sites=berlin,paris --remove-attr site
                """
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The node's id.") var id: String
        @Option(name: .customLong("attr"), help: "An attribute NAME=VALUE to set (repeat for more).")
        var attributes: [String] = []
        @Option(name: .customLong("remove-attr"), help: "The name of an attribute to remove (repeat for more).")
        var removed: [String] = []
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard !attributes.isEmpty || !removed.isEmpty else {
                throw OutpostError(.invalidInput, "Give --attr NAME=VALUE to set an attribute, or --remove-attr NAME.")
            }
            let given = try NodeAttributes(settings: attributes)
            let (id, removed) = (self.id, self.removed)
            let node = try await hub.withStorage { storage in
                guard let current = try await storage.nodes(tenant: nil).first(where: { $0.id == id }) else {
                    throw OutpostError(.notFound, "No node with id '\(id)'.", remedy: .list(.hubNodes))
                }
                var values = current.attributes
                for name in removed { values[name] = nil }
                values.merge(given.values) { _, new in new }
                return try await storage.setAttributes(nodeID: id, attributes: NodeAttributes(values))
            }
            if output.json {
                Output.json(node)
            } else {
                let settings = NodeAttributes(node.attributes).settings
                print("Node \(node.id): \(settings.isEmpty ? "no attributes" : settings.joined(separator: " ")).")
            }
        }
    }
}
