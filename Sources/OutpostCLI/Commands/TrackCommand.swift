import ArgumentParser
import OutpostCore
import OutpostStore

struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Sync one of your own tables: capture its every insert, update and delete.",
        discussion: """
            The table needs a primary key. Writes are captured whoever makes them: outpost, the Swift
            API, or any SQLite client on HOME/store.sqlite. Run again to change the settings.
            With no TABLE, lists the synced tables.

            Example:
              outpost sql "CREATE TABLE readings (id TEXT PRIMARY KEY, sensor TEXT, value REAL)"
              outpost track readings --priority 3
              outpost track                     # list synced tables
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
    @OptionGroup var output: OutputOptions

    func run() throws {
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
        let tracked = try store.track(table, priority: priority, localColumns: localColumns)
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
