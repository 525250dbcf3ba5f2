import ArgumentParser
import OutpostCore
import OutpostStore
import OutpostSync

struct ResyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resync",
        abstract: "Fetch the hub's rows of tracked tables again and repair what differs, then sync.",
        discussion: """
            Pulls every row of the named tables (all tracked tables without --table) from the \
            hub from the start, beside the node's own cursor, and merges each by the usual \
            rules. A row that differs from the hub's with no local change queued, held or failed \
            (written with capture off, restored from an old backup) takes the hub's value; rows \
            with local work merge and their changes still go up. Safe to run at any time; a cut \
            resync carries on at the next sync. A table tracked after the node's cursor passed \
            its rows is fetched this way by itself.

            With --push-local, the node's copy wins instead: every row `outpost verify` finds \
            differing with nothing to explain it (a table written with capture off, rows the \
            hub never had) is queued as an edit of all its columns and pushed over the hub's \
            copy. Without it, rows only this node holds and nothing explains are left as they \
            are (verify keeps reporting them).

            Examples:
              outpost resync --table readings
              outpost resync --table readings --push-local
              outpost resync --json
            """
    )
    @OptionGroup var node: NodeOptions
    @Option(name: .customLong("table"), help: "A tracked table to fetch again (repeat for more); default all.")
    var tables: [String] = []
    @Flag(
        name: .customLong("push-local"),
        help: "Push this node's unexplained differences instead of taking the hub's."
    )
    var pushLocal = false
    @OptionGroup var sync: SyncOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let chosen = tables.isEmpty ? nil : tables
        if pushLocal {
            let engine = try sync.engine(for: node)
            let queued: Int = try await engine.resync(tables: chosen, pushLocal: true)
            if !output.json { print("queued \(queued) row(s) of this node to push over the hub's copies") }
        } else {
            let fetched = try node.openStore().requestResync(tables: chosen)
            if !output.json { print("fetching again from the hub: \(fetched.joined(separator: ", "))") }
        }
        try await SyncCommand.perform(node: node, sync: sync, output: output)
    }
}
