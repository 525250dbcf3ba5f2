import ArgumentParser
import OutpostCore
import OutpostStore

struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run SQL on the node's store; writes to synced tables are captured.",
        discussion: """
            All statements run in one transaction: if one fails, none takes effect.

            Example:
              outpost sql "SELECT name, status FROM agents WHERE status = 'active'"
              outpost sql "UPDATE readings SET value = 21.5 WHERE id = 'r1'"
              outpost sql "SELECT * FROM pending_sync" --json
            """
    )

    @OptionGroup var node: NodeOptions
    @Argument(help: "One or more SQL statements.") var statement: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let result = try node.openStore().execute(sql: statement)
        if output.json {
            let rows = result.rows.map { values in
                JSONValue.object(Dictionary(zip(result.columns, values), uniquingKeysWith: { first, _ in first }))
            }
            Output.json(result.returnedRows ? .array(rows) : ["changed_rows": .integer(Int64(result.changedRows))])
            return
        }
        if result.returnedRows {
            Output.table(headers: result.columns, rows: result.rows.map { $0.map(Output.cell) })
        } else if result.changedData {
            print("\(result.changedRows) row(s) changed")
        } else {
            print("Done")
        }
    }
}
