import ArgumentParser
import OutpostCore
import OutpostStore
import OutpostSync

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Compare the tracked tables with the hub's declarations; choose whether the hub's columns are added.",
        discussion: """
            Every push declares its tables' columns, declared types and primary key; the hub keeps \
            the first declaration of each column. By default a sync that pulls a row carrying a \
            column a tracked table lacks adds the hub's columns (ALTER TABLE … ADD COLUMN with the \
            declared type; never dropped or changed) and fills them with the values the node kept.
            """,
        subcommands: [Diff.self, AutoAdd.self]
    )

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show how the node's tracked tables differ from the hub's declarations.",
            discussion: """
                Per tracked table: columns the hub has that this node lacks (with their declared \
                types), synced columns the hub does not know yet, declared types that differ, and \
                local-only columns; then the hub's tables this node does not track. Exits 0 either \
                way; it changes nothing.

                Examples:
                  outpost schema diff
                  outpost schema diff --json | jq '.tables[] | select(.matches | not)'
                  outpost track sensors --from-hub      # adopt a table listed as not tracked
                """
        )
        @OptionGroup var node: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let engine = try SyncOptions.parse([]).engine(for: node)
            let diff: SchemaDiff = try await engine.schemaDiff()
            if output.json {
                Output.json(diff)
                return
            }
            print("adding the hub's columns: \(diff.autoAdd ? "on" : "off") (outpost schema auto-add on|off)")
            for table in diff.tables {
                guard table.onHub else {
                    print("\(table.name): not on the hub yet (it learns a table from the first push of its rows)")
                    continue
                }
                if table.matches {
                    print("\(table.name): matches the hub")
                    continue
                }
                print("\(table.name):")
                for column in table.missingHere {
                    let type = column.type.map { $0.isEmpty ? " (no declared type)" : " \($0)" } ?? ""
                    print("  hub has, this node lacks: \(column.name)\(type)")
                }
                for column in table.missingOnHub {
                    print("  this node has, hub lacks: \(column) (declared by the next push of the table)")
                }
                for difference in table.typeDifferences {
                    print(
                        "  declared type of \(difference.column): \(difference.node.isEmpty ? "none" : difference.node) "
                            + "here, \(difference.hub.isEmpty ? "none" : difference.hub) on the hub"
                    )
                }
            }
            if !diff.untracked.isEmpty {
                print(
                    "hub tables not tracked here: \(diff.untracked.joined(separator: ", ")) (outpost track TABLE --from-hub)"
                )
            }
        }
    }

    struct AutoAdd: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "auto-add",
            abstract: "Turn on or off adding the hub's columns to tracked tables; with no argument, show it.",
            discussion: """
                On by default. Off, a tracked table keeps its columns; values for columns it lacks \
                are still kept (in the node's copy of the hub's rows) and never overwritten, and \
                filled in when the column appears. Turned on again, the next sync adds the hub's \
                columns. Stored in the node's store.

                Examples:
                  outpost schema auto-add off
                  outpost schema auto-add          # prints on or off
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "on or off.") var state: Switch?

        enum Switch: String, ExpressibleByArgument, CaseIterable {
            case on, off
        }

        func run() throws {
            let store = try node.openStore()
            if let state { try store.setAddsHubColumns(state == .on) }
            print(try store.addsHubColumns() ? "on" : "off")
        }
    }
}
