import ArgumentParser
import Foundation
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync
import OutpostWorkspace

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List, inspect and resolve conflicts parked for a person.",
        discussion: """
            A conflict is parked when the sync engine cannot surely merge a row this node changed with \
            the hub's version, or when `agent|workflow update --expected-version` finds the row moved \
            on. A parked sync conflict holds its row: it keeps its local value and is not pushed until \
            the conflict is resolved.
            """,
        subcommands: [List.self, Show.self, Resolve.self]
    )

    /// Which conflicts `list` shows.
    enum StatusFilter: String, ExpressibleByArgument, CaseIterable {
        case pending, resolved, all
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List conflicts, oldest first (pending ones unless --status says otherwise).",
            discussion: """
                Example:
                  outpost conflicts list
                  outpost conflicts list --status all --json
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "pending (default), resolved or all.") var status: StatusFilter = .pending
        @OptionGroup var output: OutputOptions

        func run() throws {
            let filter: ConflictRecord.Status? =
                switch status {
                case .pending: .pending
                case .resolved: .resolved
                case .all: nil
                }
            let conflicts = try node.openStore().conflicts(status: filter)
            if output.json {
                Output.json(.array(conflicts.map(\.json)))
                return
            }
            Output.table(
                headers: ["ID", "TABLE", "KEY", "KIND", "STATUS", "FIELDS", "CREATED", "RESOLVED BY"],
                rows: conflicts.map {
                    [
                        "\($0.id)", $0.table, $0.key, $0.kind.rawValue, $0.status.rawValue,
                        $0.fields.joined(separator: ", "), $0.createdAt ?? "", $0.resolvedBy ?? "",
                    ]
                }
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a conflict: local, remote and base side by side, and the suggestions.",
            discussion: """
                Fields marked * differ between local and remote; CHANGED says who changed each since the \
                base (both = a collision). Suggestions come with their pros and cons.

                Example:
                  outpost conflicts show 3
                  outpost conflicts show 3 --json | jq '.suggestions[].id'
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The conflict's id, as `outpost conflicts list` shows it.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let store = try node.openStore()
            let record = try store.requireConflict(id: try ConflictsCommand.parseID(id))
            let directory = try SyncEngine.nodeDirectory(in: store)
            if output.json {
                guard case .object(var members) = record.json else { return Output.json(record.json) }
                if let stamp = record.localStamp {
                    members["local_writer"] = .string(
                        directory.describe(origin: stamp.node, localStoreID: store.nodeID)
                    )
                }
                if let stamp = record.remoteStamp {
                    members["remote_writer"] = .string(
                        directory.describe(origin: stamp.node, localStoreID: store.nodeID)
                    )
                }
                Output.json(JSONValue.object(members))
                return
            }
            ConflictsCommand.printDetails(record, directory: directory, localStoreID: store.nodeID)
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Resolve a pending conflict: write the chosen row and queue it for push.",
            discussion: """
                --keep local keeps this node's row as it is now; remote takes the hub's row; merged takes \
                the rule-guided merge; a suggestion id (keep_local, keep_remote, smart_merge) takes that \
                suggestion's row. --data writes the given columns over the row (null deletes it). For a \
                conflict from --expected-version, --keep local applies the attempted changes now and \
                --keep remote leaves the row as it is. Everything happens in one transaction, and the \
                conflict records who resolved it (--by, default $USER) and when.

                Example:
                  outpost conflicts resolve 3 --keep remote
                  outpost conflicts resolve 4 --keep smart_merge --by alice
                  outpost conflicts resolve 5 --data '{"status": "paused"}'
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The conflict's id, as `outpost conflicts list` shows it.") var id: String
        @Option(help: "local, remote, merged, or a suggestion id.") var keep: String?
        @Option(help: "The columns to write, as a JSON object or @FILE (null deletes the row).") var data: String?
        @Option(help: "Who resolves it; defaults to $USER, else local-user.") var by: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let conflictID = try ConflictsCommand.parseID(id)
            let choice: ConflictChoice
            switch (keep, data) {
            case (let keep?, nil):
                choice = ConflictChoice(keep: keep)
            case (nil, let data?):
                choice = .data(try JSONArgument.parse(data, option: "data"))
            default:
                throw OutpostError(
                    .invalidInput,
                    "Give exactly one of --keep local|remote|merged|SUGGESTION or --data JSON; nothing was written."
                )
            }
            let store = try node.openStore()
            if try store.requireConflict(id: conflictID).kind == .workspace {
                let workspace = try node.openWorkspace()
                let record = try workspace.resolveConflict(
                    id: conflictID,
                    choosing: choice,
                    by: by ?? Store.defaultResolverName
                )
                WorkspaceCommand.Resolve.report(record, choice: choice, json: output.json)
                return
            }
            let record = try store.resolveConflict(
                id: conflictID,
                choosing: choice,
                by: by ?? Store.defaultResolverName
            )
            if output.json {
                Output.json(record.json)
                return
            }
            let effect =
                record.kind == .version && choice == .remote
                ? "the row was left as it is"
                : "the row is written and queued for push"
            print(
                "Resolved conflict \(record.id) on \(record.table) \(record.key) with \(choice.name) "
                    + "by \(record.resolvedBy ?? ""): \(effect)."
            )
        }
    }

    /// A conflict id from the command line; anything but a number is reported in one line.
    static func parseID(_ text: String) throws(OutpostError) -> Int64 {
        guard let id = Int64(text), id > 0 else {
            throw OutpostError(
                .invalidInput,
                "'\(text)' is not a conflict id: ids are positive numbers, as `outpost conflicts list` shows them."
            )
        }
        return id
    }

    static func kindDescription(_ kind: ConflictRecord.Kind) -> String {
        switch kind {
        case .sync: "sync (held: not pushed until resolved)"
        case .version: "version (--expected-version)"
        case .workspace: "workspace (a file left conflicted by a git merge)"
        case .constraint: "constraint (the hub's row breaks a constraint here; the rest of the pull went on)"
        }
    }

    /// The person-readable form of `conflicts show`.
    static func printDetails(_ record: ConflictRecord, directory: NodeDirectory, localStoreID: String) {
        var header: [(String, String)] = [
            ("conflict", "\(record.id)"), ("table", record.table), ("key", record.key),
            ("kind", kindDescription(record.kind)),
            ("status", record.status.rawValue), ("created", record.createdAt ?? ""),
            (
                "versions",
                "local \(record.localVersion.map(String.init) ?? "-"), "
                    + "remote \(record.remoteVersion.map(String.init) ?? "-")"
            ),
        ]
        if let local = record.localStamp, let remote = record.remoteStamp {
            header.append(
                (
                    "stamps",
                    "local \(local.milliseconds).\(local.counter) by \(directory.describe(origin: local.node, localStoreID: localStoreID)); "
                        + "remote \(remote.milliseconds).\(remote.counter) by "
                        + directory.describe(origin: remote.node, localStoreID: localStoreID)
                )
            )
        }
        if let summary = record.summary { header.append(("summary", summary)) }
        if record.status == .resolved {
            header.append(("resolved", "by \(record.resolvedBy ?? "") at \(record.resolvedAt ?? "")"))
            header.append(("choice", record.resolutionStrategy ?? ""))
            header.append(("written", Output.cell(record.resolvedData)))
        } else if let strategy = record.resolutionStrategy {
            header.append(("strategy", strategy))
        }
        Output.fields(header)
        print("")
        if record.kind == .version {
            print("LOCAL is the row with the attempted changes applied, REMOTE the row when the update was refused.")
        }
        Output.table(
            headers: ["", "FIELD", "CHANGED", "LOCAL", "REMOTE", "BASE"],
            rows: record.comparison.map { field in
                [
                    field.change == .same ? "" : "*", field.name.isEmpty ? "(row)" : field.name,
                    field.change == .same ? "" : field.change.rawValue, Output.cell(field.local),
                    Output.cell(field.remote), record.base == nil ? "-" : Output.cell(field.base),
                ]
            },
            maximumCellWidth: 36
        )
        if !record.suggestions.isEmpty {
            print("")
            print("Suggestions (resolve with --keep ID):")
            for suggestion in record.suggestions {
                print(
                    "  \(suggestion.id): \(suggestion.title), confidence \(String(format: "%.2f", suggestion.confidence))"
                )
                print("    \(suggestion.description)")
                for pro in suggestion.pros { print("    + \(pro)") }
                for con in suggestion.cons { print("    - \(con)") }
            }
        }
        if record.status == .pending {
            print("")
            print(
                "Resolve: outpost conflicts resolve \(record.id) --keep local|remote"
                    + "\(record.merged == nil ? "" : "|merged")\(record.suggestions.isEmpty ? "" : "|SUGGESTION")"
                    + " or --data JSON"
            )
        }
    }
}
