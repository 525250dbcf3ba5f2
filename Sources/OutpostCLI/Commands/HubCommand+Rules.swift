import ArgumentParser
import Foundation
import OutpostCore
import OutpostHub
import OutpostMerge

/// `outpost hub rules`: the conflict rules every node of a tenant merges by.
struct HubRulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Show or set a tenant's conflict rules, which every node of it merges by.",
        discussion: """
            Every node must merge a shared row the same way for the fleet to converge, so the \
            tenant's rules win over each node's HOME/rules.json: for every table they name, and \
            for the rest when they set default_strategy. A node's own file only adds rules for \
            the tables the tenant leaves unset. Nodes take new rules with their next sync \
            (`outpost run` checks once a minute) and keep the last ones for merging offline. The \
            format is docs/conflict-resolution.md's.

            Example:
              outpost hub rules set --tenant acme --file fleet-rules.json
              outpost hub rules show --tenant acme --json
            """,
        subcommands: [Show.self, Change.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print a tenant's conflict rules (none: each node's own are in force).",
            discussion: "Example:\n  outpost hub rules show --tenant acme"
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "The tenant.") var tenant: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tenant = self.tenant
            let text = try await hub.withStorage { try await $0.tenantRules(tenant: tenant) }
            // As the operator wrote them: a default strategy they left out is each node's own.
            let rules = try text.map { text throws(OutpostError) in try JSONValue(parsing: text) }
            if output.json {
                Output.json(["tenant": .string(tenant), "rules": rules ?? .null] as JSONValue)
            } else if let rules {
                print("Conflict rules of tenant \(tenant), over each node's own:")
                print(rules.encoded(.pretty), terminator: "")
            } else {
                print("Tenant \(tenant) has no conflict rules: each node's own are in force.")
            }
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Replace a tenant's conflict rules with a file, checked first; or remove them.",
            discussion: """
                The file is checked whole and refused with its line or the path of the bad \
                member; nothing changes then. `--file -` reads standard input.

                Example:
                  outpost hub rules set --tenant acme --file fleet-rules.json
                  outpost hub rules set --tenant acme --clear
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "The rules file (JSON; - for standard input).", completion: .file()) var file: String?
        @Flag(help: "Remove the tenant's rules: each node's own are in force again.") var clear = false

        func run() async throws {
            guard (file != nil) != clear else {
                throw OutpostError(
                    .invalidInput,
                    "Give --file FILE with the tenant's rules, or --clear to remove them."
                )
            }
            var text: String?
            if let file {
                let read = try ScopeCommand.readJSONFile(file)
                do {
                    _ = try TenantRules(parsing: read)
                } catch {
                    throw OutpostError(
                        error.code,
                        "\(file): \(error.message) Nothing was changed.",
                        details: error.details
                    )
                }
                text = read
            }
            let (tenant, rules) = (self.tenant, text)
            try await hub.withStorage { try await $0.setTenantRules(tenant: tenant, text: rules) }
            print(
                rules == nil
                    ? "Tenant \(tenant) has no conflict rules now: each node's own are in force after its next sync."
                    : "Tenant \(tenant)'s conflict rules are set; nodes merge by them after their next sync."
            )
        }
    }
}
