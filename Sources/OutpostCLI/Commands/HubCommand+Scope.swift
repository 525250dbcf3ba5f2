import ArgumentParser
import Foundation
import OutpostCore
import OutpostHub

/// `outpost hub scope`: which rows each node of a tenant receives and what it may write.
struct ScopeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scope",
        abstract: "Show or set a tenant's scopes: which rows each node receives and may write.",
        discussion: """
            The format and what happens when rows move are in docs/scopes.md.

            Example:
              outpost hub scope set --tenant acme --file scopes.json
              outpost hub scope show --tenant acme --json
            """,
        subcommands: [Show.self, Change.self]
    )

    /// A scopes or rules file larger than this is refused unread: they name tables, not rows.
    static let maximumFileSize = 1 << 20

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print a tenant's scopes (tables it does not name are shared by every node).",
            discussion: "Example:\n  outpost hub scope show --tenant acme"
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "The tenant.") var tenant: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tenant = self.tenant
            let rules = try await hub.withStorage { try await $0.scopes(tenant: tenant) }
            if output.json {
                Output.json(rules.json)
                return
            }
            guard !rules.tables.isEmpty else {
                print("Tenant \(tenant) has no scopes: every node receives every row and may write every table.")
                return
            }
            Output.table(
                headers: ["TABLE", "ROWS", "WRITE"],
                rows: rules.tables.keys.sorted().map { name in
                    let table = rules.tables[name]!
                    return [
                        name, table.write == .uploadOnly ? "none (upload-only)" : table.rows.summary,
                        table.write.rawValue,
                    ]
                }
            )
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Replace a tenant's scopes with a file, checked first and applied in one transaction.",
            discussion: """
                The file is checked whole (its JSON, every table and column name, every \
                attribute reference) and refused with the path of what is wrong; nothing changes \
                then. Applied, the rows of each table whose scope changed are sorted into their \
                new buckets at once, and nodes meet the new scopes with their next request, also \
                on a running hub. `--file -` reads standard input; `{}` removes every scope.

                Example:
                  outpost hub scope set --tenant acme --file scopes.json
                  echo '{"tables": {"executions": {"write": "upload-only"}}}' \\
                    | outpost hub scope set --tenant acme --file -
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The scopes file (JSON; - for standard input).", completion: .file()) var file: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let rules: ScopeRules
            do {
                rules = try ScopeRules(parsing: try ScopeCommand.readJSONFile(file))
            } catch {
                throw OutpostError(error.code, "\(file): \(error.message) Nothing was changed.", details: error.details)
            }
            let tenant = self.tenant
            let moved = try await hub.withStorage { try await $0.setScopes(tenant: tenant, rules: rules) }
            if output.json {
                Output.json(
                    [
                        "tenant": .string(tenant), "tables": .integer(Int64(rules.tables.count)),
                        "rows_moved": .integer(Int64(moved)),
                    ] as JSONValue
                )
            } else {
                print(
                    "Tenant \(tenant) now has \(rules.tables.isEmpty ? "no scopes" : "scopes for \(rules.tables.count) table(s)"); "
                        + "\(moved) row(s) changed bucket."
                )
            }
        }
    }

    /// A JSON file an operator gives (`-`: standard input), at most 1 MiB of UTF-8 text.
    static func readJSONFile(_ path: String) throws(OutpostError) -> String {
        let data: Data?
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
                size > maximumFileSize
            {
                throw OutpostError(.invalidInput, "The file is \(size) bytes; at most 1 MiB is read.")
            }
            data = FileManager.default.contents(atPath: path)
        }
        guard let data else { throw OutpostError(.invalidInput, "Cannot read the file: no such readable file.") }
        guard data.count <= maximumFileSize else {
            throw OutpostError(.invalidInput, "The input is over 1 MiB; at most 1 MiB is read.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw OutpostError(.invalidInput, "The file is not UTF-8 text.")
        }
        return text
    }
}
