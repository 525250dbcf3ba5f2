import ArgumentParser
import OutpostCore
import OutpostHub

extension HubCommand {
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Put a SQLite hub's database back from a backup, and tell its nodes.",
            discussion: """
                Replaces every tenant's data in the hub's database with the backup's (after \
                checking that it is a sound hub database), then gives every tenant a new epoch: \
                the hub has lost what it acknowledged after the backup, and each node, seeing \
                the new epoch at its next sync, fetches everything again and pushes what the \
                hub lost. Stop the hub first and start it again after.

                Examples:
                  outpost hub restore --from /var/backups/outpost/hub-2026-12-06.sqlite --yes
                  outpost hub restore --home /var/lib/outpost-hub --from hub.sqlite --yes --json
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "The backup file to restore.", completion: .file()) var from: String
        @Flag(help: "Confirm: the hub's current data is replaced by the backup's.") var yes = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let path = try hub.sqlitePath(for: "hub restore")
            guard yes else {
                throw OutpostError(
                    .invalidInput,
                    "This replaces every tenant's data in \(path) with the backup's; add --yes to go ahead."
                )
            }
            try SQLiteHubBackup.restore(databasePath: path, from: from)
            let renewed = try await hub.withStorage(creating: true) { try await $0.renewEpoch(tenant: nil) }
            if output.json {
                Output.json(
                    ["path": .string(path), "from": .string(from), "tenants": .integer(Int64(renewed))] as JSONValue
                )
            } else {
                print(
                    "Restored the hub database \(path) from \(from); \(renewed) tenant(s) have a new epoch, so their "
                        + "nodes fetch everything again and push what the hub lost."
                )
            }
        }
    }
}
