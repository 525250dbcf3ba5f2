import ArgumentParser
import OutpostCore
import OutpostHub

extension NodeCommand {
    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set or remove a node's attributes (which scopes match rows against), or mark it a site hub.",
            discussion: """
                Attributes given replace those of the same name; the others stay. It takes \
                effect at once, also on a running hub: the node's next pull and push meet its \
                new scope. Rows it already holds that its new scope leaves out stay on it until \
                it re-syncs (`outpost resync TABLE` on the node).

                With --relay true the node is a site hub that may push changes on behalf of the \
                nodes behind it, keeping each change's writer (docs/clusters.md).

                Examples:
                  outpost hub node set "$NODE_ID" --attr site=paris
                  outpost hub node set "$NODE_ID" --attr sites=berlin,paris --remove-attr site
                  outpost hub node set "$SITE_HUB_ID" --relay true
                """
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The node's id.") var id: String
        @Option(name: .customLong("attr"), help: "An attribute NAME=VALUE to set (repeat for more).")
        var attributes: [String] = []
        @Option(name: .customLong("remove-attr"), help: "The name of an attribute to remove (repeat for more).")
        var removed: [String] = []
        @Option(help: "true: the node is a site hub that may push on behalf of its nodes; false: it is not.")
        var relay: Bool?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard !attributes.isEmpty || !removed.isEmpty || relay != nil else {
                throw OutpostError(
                    .invalidInput,
                    "Give --attr NAME=VALUE to set an attribute, --remove-attr NAME, or --relay true|false."
                )
            }
            let given = try NodeAttributes(settings: attributes)
            let (id, removed, relay) = (self.id, self.removed, self.relay)
            let changesAttributes = !attributes.isEmpty || !removed.isEmpty
            let node = try await hub.withStorage { storage in
                guard var current = try await storage.nodes(tenant: nil).first(where: { $0.id == id }) else {
                    throw OutpostError(.notFound, "No node with id '\(id)'.", remedy: .list(.hubNodes))
                }
                if changesAttributes {
                    var values = current.attributes
                    for name in removed { values[name] = nil }
                    values.merge(given.values) { _, new in new }
                    current = try await storage.setAttributes(nodeID: id, attributes: NodeAttributes(values))
                }
                if let relay { current = try await storage.setRelays(nodeID: id, relays: relay) }
                return current
            }
            if output.json {
                Output.json(node)
            } else {
                let settings = NodeAttributes(node.attributes).settings
                print(
                    "Node \(node.id): \(settings.isEmpty ? "no attributes" : settings.joined(separator: " "))"
                        + (node.relays ? "; a site hub, pushing on behalf of its nodes." : ".")
                )
            }
        }
    }
}
