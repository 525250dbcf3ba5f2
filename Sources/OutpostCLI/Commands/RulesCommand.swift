import ArgumentParser
import OutpostCore
import OutpostMerge
import OutpostSync

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Show and change the conflict rules (HOME/rules.json).",
        discussion: """
            The rules say how conflicts on each table are resolved: a strategy per table (auto, \
            local_wins, remote_wins, merge, custom, manual) and, for auto, rules per field. With no \
            rules file the shipped defaults are in force. The format is in docs/conflict-resolution.md.
            """,
        subcommands: [Show.self, Change.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the rules in force, and whether they come from the file or the defaults.",
            discussion: """
                A broken rules file is reported with its line and reason (or the path of the bad member).

                Example:
                  outpost rules show
                  outpost rules show --json | jq .rules > my-rules.json
                """
        )
        @OptionGroup var node: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let file = try node.rulesFile()
            let loaded = try file.load()
            // The tenant's rules as the last sync brought them; they go over the node's own.
            let tenantText = try? node.openStore().tenantRules()
            let tenant = tenantText.flatMap { $0 }.flatMap { try? TenantRules(parsing: $0) }
            let inForce = tenant?.over(loaded.configuration) ?? loaded.configuration
            let unregistered = ConflictResolver(configuration: inForce).unregisteredHandlers
            let own = loaded.fromFile ? "file" : "defaults"
            var sources: [String: JSONValue] = [:]
            for table in inForce.entities.keys {
                sources[table] = .string(tenant?.source(of: table) == .tenant ? "tenant" : own)
            }
            if output.json {
                Output.json([
                    "path": .string(file.path), "source": .string(own),
                    "rules": inForce.json, "tenant_rules": tenant?.configuration.json ?? .null,
                    "sources": .object(sources),
                    "default_source": .string(tenant?.setsDefault == true ? "tenant" : own),
                    "unregistered_handlers": .array(unregistered.map(JSONValue.string)),
                ])
                return
            }
            print(
                loaded.fromFile
                    ? "Rules in force, from \(file.path):"
                    : "No rules file at \(file.path); the shipped defaults are in force:"
            )
            if let tenant {
                let tables = tenant.configuration.entities.keys.sorted()
                print(
                    "The tenant's rules (from the hub at the last sync) decide "
                        + (tables.isEmpty ? "no table" : tables.joined(separator: ", "))
                        + (tenant.setsDefault ? ", and every table no one names" : "")
                        + "; this node's own the rest."
                )
            }
            print(inForce.encoded(), terminator: "")
            RulesCommand.noteUnregistered(unregistered)
        }
    }

    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Replace the rules with a file, or change one table's strategy or field rule.",
            discussion: """
                With --file, the file is validated and then replaces HOME/rules.json atomically; an \
                invalid file is refused with its line and reason, and the previous rules stay in force.

                With a TABLE, the rules in force are edited and written back the same way: --strategy \
                sets the table's strategy; --field with --action adds a rule for that field pattern, or \
                replaces the rules already written for exactly that pattern; --field with --remove \
                removes them. Rules with conditions ("when") are written in a file.

                Example:
                  outpost rules set --file rules.json
                  outpost rules set workflows --field definition --action merge
                  outpost rules set agents --field 'config.*' --action newest --weight 5
                  outpost rules set readings --strategy remote_wins
                  outpost rules set agents --field name --remove
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The table (entity type) whose rules to change.") var table: String?
        @Option(help: "A rules file to validate and put in force.", completion: .file()) var file: String?
        @Option(help: "The table's strategy: auto, local_wins, remote_wins, merge, custom, manual.")
        var strategy: String?
        @Option(help: "A field pattern: name, config.*, steps.*.timeout, *.") var field: String?
        @Option(help: "What a rule does on a collision: local, remote, newest, merge, custom.") var action: String?
        @Option(help: "The rule's weight (default 1); the heaviest applicable rule wins.") var weight: Int?
        @Option(help: "The handler a custom strategy or action names.") var handler: String?
        @Flag(help: "Remove the rules for --field instead of setting one.") var remove = false

        func run() throws {
            let rulesFile = try node.rulesFile()
            if let file {
                guard table == nil, strategy == nil, field == nil, action == nil, weight == nil, !remove else {
                    throw OutpostError(
                        .invalidInput,
                        "--file replaces every rule, so it takes no TABLE, --strategy, --field, --action, --weight "
                            + "or --remove; run those after it."
                    )
                }
                let text = try RulesFile.read(file)
                let configuration: RulesConfiguration
                do {
                    configuration = try RulesConfiguration(parsing: text)
                } catch {
                    throw OutpostError(
                        error.code,
                        "\(file): \(error.message) The previous rules stay in force.",
                        details: error.details
                    )
                }
                try rulesFile.replace(with: text)
                print("Rules from \(file) are in force (\(rulesFile.path)).")
                RulesCommand.noteUnregistered(ConflictResolver(configuration: configuration).unregisteredHandlers)
                return
            }
            let configuration = try edited(try rulesFile.load().configuration)
            try rulesFile.replace(with: configuration.encoded())
            let entity = configuration.rules(for: table ?? "")
            print("Rules for \(table ?? ""): strategy \(entity.strategy)")
            for rule in entity.rules { print("  \(rule)") }
            if !entity.rules.isEmpty, entity.strategy != .auto {
                print(
                    "note: field rules are used only by the auto strategy; \(table ?? "") uses \(entity.strategy.name)."
                )
            }
            print("Saved \(rulesFile.path).")
            RulesCommand.noteUnregistered(ConflictResolver(configuration: configuration).unregisteredHandlers)
        }

        /// `configuration` with this command's change, validated as a whole rules file.
        private func edited(_ configuration: RulesConfiguration) throws(OutpostError) -> RulesConfiguration {
            guard let table, !table.isEmpty else {
                throw OutpostError(
                    .invalidInput,
                    "Say what to change: --file FILE, or a TABLE with --strategy or --field. See `outpost rules set --help`."
                )
            }
            guard strategy != nil || field != nil else {
                throw OutpostError(
                    .invalidInput,
                    "Give --strategy or --field (with --action or --remove) for \(table)."
                )
            }
            guard case .object(var root) = configuration.json else { return configuration }
            var entities = root["entities"]?.objectValue ?? [:]
            var entry = entities[table]?.objectValue ?? [:]
            if let strategy {
                entry["strategy"] = .string(strategy)
                entry["handler"] = handler.map(JSONValue.string)
            }
            if let field {
                var rules: [JSONValue] = []
                if case .array(let existing)? = entry["rules"] { rules = existing }
                let position = rules.firstIndex { $0["field"] == .string(field) }
                rules.removeAll { $0["field"] == .string(field) }
                if remove {
                    guard position != nil else {
                        throw OutpostError(
                            .notFound,
                            "\(table) has no rule for the field pattern '\(field)'; see `outpost rules show`."
                        )
                    }
                } else {
                    guard let action else {
                        throw OutpostError(.invalidInput, "--field needs --action (or --remove).")
                    }
                    var rule: [String: JSONValue] = ["field": .string(field), "action": .string(action)]
                    if let weight { rule["weight"] = .integer(Int64(weight)) }
                    if strategy == nil, let handler { rule["handler"] = .string(handler) }
                    rules.insert(.object(rule), at: min(position ?? rules.count, rules.count))
                }
                entry["rules"] = .array(rules)
            }
            entities[table] = .object(entry)
            root["entities"] = .object(entities)
            return try RulesConfiguration(json: .object(root))
        }
    }

    /// Says which custom handlers the rules name that this program does not have.
    static func noteUnregistered(_ handlers: [String]) {
        guard !handlers.isEmpty else { return }
        print(
            "note: the outpost program registers no custom handlers (\(handlers.joined(separator: ", "))); "
                + "conflicts that need them are parked for a person unless an app embedding Outpost registers them."
        )
    }
}
