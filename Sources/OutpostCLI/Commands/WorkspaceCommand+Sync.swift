import ArgumentParser
import Foundation
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync
import OutpostWorkspace

extension WorkspaceCommand {
    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync",
            abstract: "Fetch, merge and push with the workspace's remote.",
            discussion: """
                Definition files both sides changed are merged field by field by the JSON merge driver \
                with this node's rules; files that need a person are left conflicted and listed by \
                `outpost workspace status` and `outpost conflicts list`. With --apply, the merged files \
                are then loaded into the store. A remote that cannot be reached is reported and local \
                commits are kept.

                Example:
                  outpost workspace sync --apply
                """
        )
        @OptionGroup var node: NodeOptions
        @Flag(help: "Apply the files to the store after a merge.") var apply = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let workspace = try node.openWorkspace()
            let outcome = try workspace.sync(mergeDriver: node.mergeDriverCommand)
            let report = apply && outcome.merged ? try workspace.apply(by: Store.defaultResolverName) : nil
            if output.json {
                Output.json([
                    "merged": .bool(outcome.merged), "changed": .array(outcome.changedPaths.map(JSONValue.string)),
                    "pushed": .integer(Int64(outcome.pushed)), "applied": report?.json ?? .null,
                ])
                return
            }
            print(
                "Synced: \(outcome.merged ? "merged \(outcome.changedPaths.count) changed file(s)" : "nothing new to merge"), "
                    + "pushed \(outcome.pushed) commit(s)."
            )
            if let report {
                print("Applied: \(report.added) added, \(report.updated) updated, \(report.removed) removed.")
            } else if outcome.merged {
                print("Load the merged files into the store with `outpost workspace apply`.")
            }
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Resolve a file a merge left for a person (as `outpost conflicts resolve` does).",
            discussion: """
                Writes the chosen content to the file and marks it resolved for git; when none is left, \
                `outpost workspace commit` concludes the merge. --data is the whole file's content \
                (null removes the file).

                Example:
                  outpost workspace resolve agents/a1.json --keep remote
                  outpost workspace resolve 4 --data @agents-a1.json --by ada
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The conflict's id, or the file's path (agents/ID.json).") var conflict: String
        @Option(help: "local, remote, merged, or a suggestion id.") var keep: String?
        @Option(help: "The file's content, as JSON or @FILE (null removes it).") var data: String?
        @Option(help: "Who resolves it; defaults to $USER, else local-user.") var by: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let workspace = try node.openWorkspace()
            let id: Int64
            if let number = Int64(conflict) {
                id = number
            } else {
                guard let record = try workspace.conflicts().first(where: { "\($0.table)/\($0.key).json" == conflict })
                else {
                    throw OutpostError(
                        .notFound,
                        "No pending conflict for '\(conflict)'; list them with `outpost workspace status`."
                    )
                }
                id = record.id
            }
            let choice = try Self.choice(keep: keep, data: data)
            let record = try workspace.resolveConflict(id: id, choosing: choice, by: by ?? Store.defaultResolverName)
            Self.report(record, choice: choice, json: output.json)
        }

        static func choice(keep: String?, data: String?) throws(OutpostError) -> ConflictChoice {
            switch (keep, data) {
            case (let keep?, nil): return ConflictChoice(keep: keep)
            case (nil, let data?): return .data(try JSONArgument.parse(data, option: "data"))
            default:
                throw OutpostError(
                    .invalidInput,
                    "Give exactly one of --keep local|remote|merged|SUGGESTION or --data JSON; nothing was written."
                )
            }
        }

        static func report(_ record: ConflictRecord, choice: ConflictChoice, json: Bool) {
            if json {
                Output.json(record.json)
                return
            }
            print(
                "Resolved conflict \(record.id) on \(record.table)/\(record.key).json with \(choice.name): the file is "
                    + "written; conclude the merge with `outpost workspace commit -m …` once none is left."
            )
        }
    }

    /// What git runs for `*.json` (see `.gitattributes`): `outpost workspace merge-driver
    /// --home HOME BASE LOCAL REMOTE PATH`. Writes the result to LOCAL; exits 0 when merged, 1
    /// when the file is left for a person (recorded in the conflict queue).
    struct MergeDriverCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge-driver",
            abstract: "Plumbing: git's three-way merge of a definition file (see docs/workspace.md).",
            discussion: """
                Registered by `outpost workspace init`; git runs it during a merge.

                Example (as git runs it):
                  outpost workspace merge-driver --home /var/lib/outpost %O %A %B %P
                """,
            shouldDisplay: false
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The common ancestor's version (a temporary file).") var base: String
        @Argument(help: "This branch's version; the result is written here.") var local: String
        @Argument(help: "The other branch's version.") var remote: String
        @Argument(help: "The file's path in the repository.") var path: String

        func run() throws {
            let git = try Git(directory: FileManager.default.currentDirectoryPath)
            let rules = try node.rulesFile().load().configuration
            let read = { (file: String) in FileManager.default.contents(atPath: file).map { [UInt8]($0) } ?? [] }
            let (baseBytes, localBytes, remoteBytes) = (read(base), read(local), read(remote))
            let outcome = MergeDriver(resolver: ConflictResolver(configuration: rules)).merge(
                path: path,
                base: baseBytes,
                local: localBytes,
                remote: remoteBytes,
                localStamp: try Self.stamp(of: path, at: ["HEAD"], git: git),
                remoteStamp: try Self.stamp(of: path, at: Self.mergedRevisions, git: git)
            )
            switch outcome {
            case .merged(let text):
                try Data(text.utf8).write(to: URL(fileURLWithPath: local))
            case .needsPerson(let conflict, let resolution):
                let id = try Workspace.recordConflict(conflict, resolution: resolution, in: node.openStore())
                let marked = try Self.markers(
                    base: conflict.base?.encoded(.pretty) ?? "",
                    local: conflict.local.encoded(.pretty),
                    remote: conflict.remote.encoded(.pretty),
                    git: git
                )
                try Data(marked).write(to: URL(fileURLWithPath: local))
                FileHandle.standardError.write(
                    Data("outpost: \(path) needs a person (conflict \(id)); see `outpost conflicts show \(id)`\n".utf8)
                )
                throw ExitCode(1)
            case .notJSON:
                let merged = try git.attempt([
                    "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", local, base, remote,
                ])
                if merged.status != 0 { throw ExitCode(1) }
            }
        }

        /// The commit being merged in: `git merge` names it in `GITHEAD_<hash>` variables (it
        /// writes MERGE_HEAD only after the merge), other commands in their state files.
        static var mergedRevisions: [String] {
            let named = ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("GITHEAD_") }.sorted()
                .map { String($0.dropFirst("GITHEAD_".count)) }
            return named + ["MERGE_HEAD", "CHERRY_PICK_HEAD", "REBASE_HEAD", "FETCH_HEAD"]
        }

        /// When and by which commit `revisions` (the first that exists) last changed `path`;
        /// the commit hash breaks ties between equal times, so every node decides alike.
        static func stamp(of path: String, at revisions: [String], git: Git) throws -> HybridTimestamp {
            for revision in revisions where try git.attempt(["rev-parse", "-q", "--verify", revision]).status == 0 {
                let fields = try git.run(["log", "-1", "--format=%ct %H", revision, "--", path]).text.split(
                    separator: " "
                )
                if fields.count == 2, let seconds = UInt64(fields[0]) {
                    return HybridTimestamp(milliseconds: seconds * 1000, counter: 0, node: String(fields[1]))
                }
            }
            return HybridTimestamp(milliseconds: 0, counter: 0, node: revisions[0])
        }

        /// The canonical texts merged line by line with conflict markers, for a person (or plain
        /// git tools) to see both sides in the file.
        static func markers(base: String, local: String, remote: String, git: Git) throws -> Data {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "outpost-merge-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let files = [("ours", local), ("base", base), ("theirs", remote)].map { name, text in
                let url = folder.appendingPathComponent(name)
                try? Data(text.utf8).write(to: url)
                return url.path
            }
            let output = try git.attempt(
                ["merge-file", "-p", "--diff3", "-L", "ours", "-L", "base", "-L", "theirs"] + files
            )
            return output.stdout
        }
    }
}
