import ArgumentParser
import OutpostCore
import OutpostHub

extension HubCommand {
    struct NewEpoch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-epoch",
            abstract: "Tell the nodes the hub's data went back in time (run after restoring a backup).",
            discussion: """
                A hub restored from a backup has lost the pushes it acknowledged after the \
                backup, and hands out again sequence numbers nodes have already seen, so nodes \
                would skip new rows. A new epoch tells every node: at its next sync it pulls all \
                rows again and pushes what the hub lost (it has the base of every row it holds). \
                A node also notices by itself when the hub's newest sequence number is below \
                its cursor, but only a new epoch covers a hub that has since received more.

                Examples:
                  outpost hub new-epoch                 # every tenant
                  outpost hub new-epoch --tenant acme --json
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "Only this tenant; default every tenant.") var tenant: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tenant = self.tenant
            let renewed = try await hub.withStorage { try await $0.renewEpoch(tenant: tenant) }
            if output.json {
                Output.json(["tenants": .integer(Int64(renewed))] as JSONValue)
            } else {
                print("New epoch for \(renewed) tenant(s); their nodes re-sync and push again what the hub lost.")
            }
        }
    }
}
