public import ArgumentParser
import OutpostCore
public import OutpostStore
import OutpostSync

extension QueueStatus: ExpressibleByArgument {}

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List the changes waiting for the hub, and retry the ones it refused.",
        subcommands: [List.self, Retry.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List queue entries, highest priority first.",
            discussion: """
                Statuses: pending (waiting), processing (sent, answer not yet recorded), conflict \
                (held for a person), failed (refused by the hub or out of attempts; never dropped).

                Examples:
                  outpost queue list
                  outpost queue list --status failed --json
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "Only entries with this status (pending, processing, conflict, failed, completed).")
        var status: QueueStatus?
        @Option(help: "At most this many entries.") var limit = 100
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be more than 0.") }
        }

        func run() throws {
            let entries = try node.openStore().queueEntries(status: status, limit: limit)
            if output.json {
                Output.json(entries)
                return
            }
            Output.table(
                headers: ["ID", "TABLE", "KEY", "OP", "PRIORITY", "STATUS", "ATTEMPTS", "ERROR"],
                rows: entries.map {
                    [
                        "\($0.id)", $0.table, $0.key, $0.operation.rawValue, "\($0.priority)", $0.status.rawValue,
                        "\($0.attempts)",
                        $0.error ?? "",
                    ]
                }
            )
            if entries.contains(where: { $0.status == .failed }) {
                print(
                    "\nFailed changes stay until a person acts: fix what ERROR names. "
                        + OutpostError.Remedy.retryFailedChanges.sentence
                )
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Queue failed changes again (the next sync sends them).",
            discussion: """
                Examples:
                  outpost queue retry 42 43
                  outpost queue retry --all
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "Ids of failed entries (from `outpost queue list --status failed`).") var ids: [Int64] = []
        @Flag(help: "Retry every failed entry.") var all = false

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("Give entry ids or --all (not both).") }
        }

        func run() throws {
            let count = try node.openStore().retryFailed(ids: all ? nil : ids)
            print("queued again: \(count) change(s)")
        }
    }
}
