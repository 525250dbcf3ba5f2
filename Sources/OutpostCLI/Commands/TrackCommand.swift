import ArgumentParser
import OutpostCore
import OutpostStore
import OutpostSync

struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Sync one of your own tables: capture its every insert, update and delete.",
        discussion: """
            The table needs a primary key. Writes are captured whoever makes them: outpost, the Swift \
            API, or any SQLite client on HOME/store.sqlite. Run again to change the settings. \
            With no TABLE, lists the synced tables.

            With --from-hub, a table other nodes sync and this node does not have yet is created \
            from the hub's declaration (columns, declared types, primary key), tracked, and \
            filled with the hub's rows by a sync run at once (a cut fill carries on at the next \
            sync). Refused when the hub knows no such table or the store already has one.

            Examples:
              outpost sql "CREATE TABLE readings (id TEXT PRIMARY KEY, value REAL)"
              outpost track readings --priority 3
              outpost track                     # list synced tables
              outpost track readings --from-hub   # adopt one of `outpost schema diff`
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The table to sync.") var table: String?
    @Option(help: "Priority of its changes, 1 (background) … 10 (critical); rows with status 'critical' get 10.")
    var priority = 5
    @Option(
        name: .customLong("local-columns"),
        parsing: .upToNextOption,
        help: "Columns that stay on this node and are never synced."
    )
    var localColumns: [String] = []
    @Flag(name: .customLong("from-hub"), help: "Create the table from the hub's declaration, then fetch its rows.")
    var fromHub = false
    @OptionGroup var sync: SyncOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        if fromHub {
            try await adopt()
            return
        }
        let store = try node.openStore()
        guard let table else {
            let tables = try store.trackedTables()
            if output.json {
                Output.json(tables)
            } else {
                Output.table(
                    headers: ["TABLE", "PRIORITY", "KEY", "LOCAL COLUMNS", "BUILT-IN"],
                    rows: tables.map {
                        [
                            $0.name, "\($0.priority)", $0.keyColumns.joined(separator: ","),
                            $0.localColumns.joined(separator: ","), $0.isBuiltIn ? "yes" : "",
                        ]
                    }
                )
            }
            return
        }
        let bar = ProgressBar(enabled: !output.json)
        let tracked = try store.track(table, priority: priority, localColumns: localColumns) { queued, total in
            // Only worth a bar for a large table (queued in slices of 100,000 rows).
            if total > 100_000 { bar.show(SyncProgress(phase: .queue, done: queued, total: total)) }
        }
        bar.finish()
        if output.json {
            Output.json(tracked)
        } else {
            print(
                "Tracking \(tracked.name) (key \(tracked.keyColumns.joined(separator: ", ")), priority \(tracked.priority))"
            )
            if let queued = tracked.queuedRows, queued > 0 {
                print("Queued its \(queued) existing row(s); the next sync sends them.")
            }
        }
    }

    /// `--from-hub`: creates and tracks the table, then syncs, which fills it from the hub.
    private func adopt() async throws {
        guard let table else {
            throw ValidationError("--from-hub needs the TABLE to create from the hub's declaration.")
        }
        let tracked = try await sync.engine(for: node).adoptTable(
            table,
            priority: priority,
            localColumns: localColumns
        )
        if !output.json {
            print(
                "Created \(tracked.name) from the hub's declaration and tracking it (key "
                    + "\(tracked.keyColumns.joined(separator: ", ")), priority \(tracked.priority)); fetching its rows"
            )
        }
        try await SyncCommand.perform(node: node, sync: sync, output: output)
    }
}

struct UntrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "untrack",
        abstract: "Stop syncing one of your tables.",
        discussion: """
            Refused while the table has changes the hub has not confirmed, unless --discard-pending.

            Example:
              outpost untrack readings
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "The table to stop syncing.") var table: String
    @Flag(help: "Drop the table's unconfirmed changes from the queue.") var discardPending = false

    func run() throws {
        let discarded = try node.openStore().untrack(table, discardingPending: discardPending)
        print("Stopped tracking \(table)" + (discarded > 0 ? "; discarded \(discarded) pending change(s)" : ""))
    }
}
