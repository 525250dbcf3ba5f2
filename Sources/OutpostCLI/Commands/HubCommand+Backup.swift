import ArgumentParser
import OutpostCore
import OutpostHub

extension HubCommand {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Copy a SQLite hub's database to one file, while it serves.",
            discussion: """
                Goes through SQLite's online backup: the copy is one committed state, taken \
                while the hub keeps serving. A backup never overwrites a file. A PostgreSQL hub \
                is backed up with PostgreSQL's own tools (pg_dump; see docs/deploy.md).

                Examples:
                  outpost hub backup --to /var/backups/outpost/hub-2026-12-06.sqlite
                  outpost hub backup --home /var/lib/outpost-hub --to hub.sqlite --json
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "The file to write; it must not exist.", completion: .file()) var to: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let path = try hub.sqlitePath(for: "hub backup")
            let bytes = try SQLiteHubBackup.backUp(databasePath: path, to: to)
            if output.json {
                Output.json(["path": .string(to), "bytes": .integer(bytes)] as JSONValue)
            } else {
                print("Backed up the hub database \(path) to \(to) (\(bytes) bytes).")
            }
        }
    }
}
