import ArgumentParser
import OutpostCore
import OutpostSync

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Make a node from a backup, in a home that does not exist yet (or is empty).",
        discussion: """
            Unpacks the backup beside HOME, checks every name in it and the store, and only \
            then moves it into place: a refused or interrupted restore leaves nothing behind. \
            A restore never writes over a node; move the old home away first.

            The restored node is the same node (same id and token). At its next sync it \
            fetches every tracked table from the hub again: rows it pushed after the backup \
            come back, and changes that were queued at the backup are sent again (the hub \
            recognises those it already has). Change and batch ids are never reused.

            Examples:
              outpost restore --from /var/backups/node.tar --home /var/lib/outpost
              outpost restore --from node.tar --home ./restored --json
            """
    )

    @OptionGroup var node: NodeOptions
    @Option(help: "The backup file to restore.", completion: .file()) var from: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let report = try NodeBackup.restore(from: from, into: node.nodeHome)
        if output.json {
            Output.json(
                [
                    "home": .string(report.home), "node_id": .string(report.nodeID),
                    "taken_at": .string(report.takenAt), "refetch": .array(report.refetched.map(JSONValue.string)),
                ] as JSONValue
            )
        } else {
            print("Restored node \(report.nodeID) at \(report.home) from the backup taken \(report.takenAt).")
            if !report.refetched.isEmpty {
                print("The next sync fetches these tables again: \(report.refetched.joined(separator: ", ")).")
            }
        }
    }
}
