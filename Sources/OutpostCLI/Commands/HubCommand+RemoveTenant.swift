import ArgumentParser
import OutpostCore
import OutpostHub

extension TenantCommand {
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Delete a tenant: its rows, chunks and nodes (whose tokens stop at once).",
            discussion: """
                Everything the hub holds for the tenant goes, in one transaction: its rows and \
                tombstones, batch answers, table declarations, file chunks, and its nodes, whose \
                tokens stop working at once, also on a running hub. The nodes keep their own \
                data. There is no undo short of a backup (`outpost hub backup`), so the command \
                asks for --yes.

                Examples:
                  outpost hub tenant rm acme --yes
                  outpost hub tenant rm acme --yes --json
                """
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The tenant's name.") var name: String
        @Flag(help: "Confirm: the tenant's data on the hub is deleted for good.") var yes = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard yes else {
                throw OutpostError(
                    .invalidInput,
                    "This deletes tenant \(name) with all its rows, chunks and nodes from the hub; add --yes to go ahead."
                )
            }
            let name = self.name
            let removed = try await hub.withStorage { try await $0.removeTenant(name: name) }
            if output.json {
                Output.json(removed)
            } else {
                print(
                    "Removed tenant \(removed.tenant): \(removed.nodes) node(s), \(removed.rows) row(s), "
                        + "\(removed.chunks) chunk(s)."
                )
            }
        }
    }
}
