import ArgumentParser
import Foundation
import OutpostCore
import OutpostStore
import OutpostWorkspace

extension WorkspaceCommand {
    struct Commit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "commit",
            abstract: "Commit every change in the workspace; concludes a merge whose conflicts are resolved.",
            discussion: """
                Example:
                  outpost workspace commit -m "Line camera at 5 fps"
                  outpost workspace commit -m "Night shift" --author "Ada <ada@example.org>"
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(name: .shortAndLong, help: "The commit message.") var message: String
        @Option(help: "Name or \"Name <email>\"; defaults to $USER.") var author: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let outcome = try node.openWorkspace(author: author).commit(message: message)
            if output.json {
                let value: JSONValue = [
                    "commit": outcome.map { .string($0.hash) } ?? .null,
                    "items": .integer(Int64(outcome?.items ?? 0)),
                ]
                Output.json(value)
                return
            }
            guard let outcome else {
                print("Nothing to commit: the workspace matches its last commit.")
                return
            }
            print("Committed \(outcome.items) item(s) as \(outcome.hash.prefix(12))")
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log",
            abstract: "The workspace's history, newest first.",
            discussion: """
                Example:
                  outpost workspace log --limit 10
                  outpost workspace log --json | jq -r '.[0].commit'
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "At most this many commits.") var limit = 50
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1.") }
        }

        func run() throws {
            let history = try node.openWorkspace().history(limit: limit)
            if output.json {
                Output.json(.array(history.map(\.json)))
                return
            }
            Output.table(
                headers: ["COMMIT", "DATE", "AUTHOR", "MESSAGE"],
                rows: history.map { [String($0.hash.prefix(12)), $0.date, $0.author, $0.message] },
                maximumCellWidth: 72
            )
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "What changed in the files since REV (default the last commit), new files included.",
            discussion: """
                Example:
                  outpost workspace diff
                  outpost workspace diff HEAD~3 --json
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "A commit, tag or branch; defaults to HEAD.") var revision: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let (changes, patch) = try node.openWorkspace().diff(against: revision)
            if output.json {
                Output.json([
                    "changes": .array(changes.map { ["path": .string($0.0), "change": .string($0.1)] }),
                    "patch": .string(patch),
                ])
                return
            }
            print(patch.isEmpty ? "No changes." : patch, terminator: patch.isEmpty ? "\n" : "")
        }
    }

    struct Checkout: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkout",
            abstract: "Roll the definition files back to REV, then apply them to the store.",
            discussion: """
                The branch does not move: the rollback is a change, committed like any other. Refused \
                when uncommitted changes would be lost (unless --force); if the files at REV cannot be \
                applied, the store is left unchanged.

                Example:
                  outpost workspace checkout HEAD~1
                  outpost workspace commit -m "Back to yesterday's definitions"
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "A commit, tag or branch.") var revision: String
        @Flag(help: "Discard uncommitted changes in the definition files.") var force = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let (commit, report) = try node.openWorkspace().checkout(
                revision,
                force: force,
                by: Store.defaultResolverName
            )
            if output.json {
                Output.json(["commit": .string(commit), "applied": report.json])
                return
            }
            print(
                "Rolled the definitions back to \(commit.prefix(12)) and applied them: \(report.added) added, "
                    + "\(report.updated) updated, \(report.removed) removed."
            )
        }
    }
}
