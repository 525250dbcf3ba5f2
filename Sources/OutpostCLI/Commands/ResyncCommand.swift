import ArgumentParser
import OutpostCore
import OutpostStore

struct ResyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resync",
        abstract: "Fetch the hub's rows of tracked tables again and repair what differs, then sync.",
        discussion: """
            Pulls every row of the named tables (all tracked tables without --table) from the
            hub from the start, beside the node's own cursor, and merges each by the usual
            rules. A row that differs from the hub's with no local change queued, held or failed
            (written with capture off, restored from an old backup) takes the hub's value; rows
            with local work merge and their changes still go up. Safe to run at any time; a cut
            resync carries on at the next sync. A table tracked after the node's cursor passed
            its rows is fetched this way by itself.

            Not yet: rows the node holds that the hub has never had, with no change queued, are
            left as they are (they are not found by fetching the hub's rows).

            Examples:
              outpost resync --table readings
              outpost resync --json
            """
    )
    @OptionGroup var node: NodeOptions
    @Option(name: .customLong("table"), help: "A tracked table to fetch again (repeat for more); default all.")
    var tables: [String] = []
    @OptionGroup var sync: SyncOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let chosen = try node.openStore().requestResync(tables: tables.isEmpty ? nil : tables)
        if !output.json { print("fetching again from the hub: \(chosen.joined(separator: ", "))") }
        try await SyncCommand.perform(node: node, sync: sync, output: output)
    }
}
