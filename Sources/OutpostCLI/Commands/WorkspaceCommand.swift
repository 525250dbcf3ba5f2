import ArgumentParser
import Foundation
import OutpostCore
import OutpostStore
import OutpostWorkspace

struct WorkspaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Agent, workflow and config definitions as JSON files in git: review, diff, roll back, share.",
        discussion: """
            The workspace is a git repository (default HOME/workspace) laid out as agents/ID.json, \
            workflows/ID.json and configs/NAME.json, in canonical JSON. `export` writes the store's \
            definitions to it, `apply` loads it into the store; git versions and shares it, and a \
            JSON-aware merge driver merges concurrent edits field by field. See docs/workspace.md.

            Example:
              outpost workspace init --remote git@example.org:fleet/definitions.git
              outpost workspace export && outpost workspace commit -m "Camera at 5 fps"
              outpost workspace sync
            """,
        subcommands: [
            Init.self, Export.self, Apply.self, Status.self, Commit.self, Log.self, Diff.self, Checkout.self,
            Sync.self, Resolve.self, MergeDriverCommand.self,
        ]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Make (or adopt) the node's git workspace and register the JSON merge driver.",
            discussion: """
                Creates the repository (branch main) or adopts an existing one, makes agents/, \
                workflows/ and configs/, registers the merge driver in .git/config and \
                .gitattributes (*.json merge=outpost-json), and sets origin when --remote is given. \
                A remote on this machine (a path) must already be a git repository, or give \
                --create-remote to make a bare one there; a network remote is not checked, since \
                the node may be offline. Safe to run again.

                Example:
                  outpost workspace init
                  outpost workspace init --dir /srv/defs --remote /srv/git/defs.git
                  outpost workspace init --remote /mnt/shared/defs.git --create-remote
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "The repository's folder; defaults to HOME/workspace.", completion: .directory) var dir: String?
        @Option(help: "The git remote to share it through (origin).") var remote: String?
        @Flag(help: "Make --remote a new bare repository when nothing is at that path.") var createRemote = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let store = try node.openStore()
            let (workspace, created) = try Workspace.initialize(
                store: store,
                directory: dir ?? node.homePath + "/workspace",
                remote: remote,
                mergeDriver: node.mergeDriverCommand,
                createRemote: createRemote,
                identity: Git.Identity(parsing: Store.defaultResolverName)
            )
            let remoteURL = try workspace.remoteURL()
            if output.json {
                Output.json([
                    "directory": .string(workspace.directory), "created": .bool(created),
                    "remote": remoteURL.map(JSONValue.string) ?? .null,
                ])
                return
            }
            print("\(created ? "Created" : "Adopted") the workspace at \(workspace.directory)")
            print("remote: \(remoteURL ?? "none (add one with --remote URL)")")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the store's agents and workflows to the workspace as canonical JSON.",
            discussion: """
                Files already right are left alone; files of definitions the store no longer has are \
                removed. Configs are the workspace's own and are not touched.

                Example:
                  outpost workspace export && outpost workspace diff
                """
        )
        @OptionGroup var node: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let report = try node.openWorkspace().export(by: Store.defaultResolverName)
            if output.json {
                Output.json(report.json)
                return
            }
            print(
                "Exported: \(report.added) new, \(report.updated) changed, \(report.removed) removed, "
                    + "\(report.unchanged) unchanged file(s)."
            )
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Check the workspace's files and load them into the store, all or nothing.",
            discussion: """
                Adds new definitions, updates changed ones (bumping their version), deletes those \
                whose file was removed, in one transaction; the writes sync like any other. A file \
                that is not valid JSON or not a valid definition is refused with its path, line and \
                reason, and the store is left unchanged.

                Example:
                  outpost workspace apply
                """
        )
        @OptionGroup var node: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let report = try node.openWorkspace().apply(by: Store.defaultResolverName)
            if output.json {
                Output.json(report.json)
                return
            }
            print(
                "Applied: \(report.added) added, \(report.updated) updated, \(report.removed) removed, "
                    + "\(report.unchanged) unchanged definition(s)."
            )
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Items not yet committed or pushed, and files a merge left for a person.",
            discussion: """
                Example:
                  outpost workspace status
                  outpost workspace status --all --json
                """
        )
        @OptionGroup var node: NodeOptions
        @Flag(help: "List every item, synced ones too.") var all = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let workspace = try node.openWorkspace()
            let status = try workspace.status(all: all)
            if output.json {
                Output.json(status.json)
                return
            }
            Output.fields([
                ("workspace", status.directory), ("branch", status.branch),
                ("remote", status.remote ?? "none"), ("merge", status.merging ? "in progress" : "none"),
            ])
            print("")
            Output.table(
                headers: ["PATH", "TYPE", "STATUS", "VERSION", "CONFLICT"],
                rows: status.items.map {
                    [
                        $0.path + ($0.exists ? "" : " (removed)"), $0.kind.rawValue, $0.syncStatus.rawValue,
                        "\($0.version)", $0.conflictID.map { "\($0)" } ?? "",
                    ]
                }
            )
            if !status.conflicts.isEmpty {
                print("")
                print("Conflicts needing a person (outpost conflicts show ID):")
                Output.table(
                    headers: ["ID", "PATH", "FIELDS", "SUMMARY"],
                    rows: status.conflicts.map {
                        ["\($0.id)", "\($0.table)/\($0.key).json", $0.fields.joined(separator: ", "), $0.summary ?? ""]
                    }
                )
                print("Resolve: outpost conflicts resolve ID --keep local|remote|merged, then outpost workspace commit")
            }
            if !status.unmergedWithoutRecord.isEmpty {
                print("")
                print("Unmerged by git (resolve with git, then outpost workspace commit):")
                for path in status.unmergedWithoutRecord { print("  \(path)") }
            }
        }
    }
}
