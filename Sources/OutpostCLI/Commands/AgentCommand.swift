import ArgumentParser
import OutpostCore
import OutpostStore

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Add, list, show, update and remove agents.",
        subcommands: [Add.self, List.self, Show.self, Update.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an agent.",
            discussion: """
                Example:
                  outpost agent add --name "Line camera" --type vision --status active --config '{"fps": 5}'
                  outpost agent add --name Counter --type sensor --config @counter.json
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "A display name.") var name: String
        @Option(help: "The kind of agent, e.g. vision, sensor, llm.") var type: String
        @Option(help: "The agent's id; defaults to a new time-ordered id (UUIDv7).") var id: String?
        @Option(help: "inactive (default), active, running, critical, …") var status = "inactive"
        @Option(help: "Configuration as a JSON object, or @FILE.") var config: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let config = try config.map { text throws(OutpostError) in
                try JSONArgument.parseObject(text, option: "config")
            }
            let store = try node.openStore()
            let agent = try store.addAgent(id: id, name: name, type: type, status: status, config: config)
            if output.json { Output.json(agent) } else { print("Added agent \(agent.id)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List agents, most recently updated first.",
            discussion: """
                Example:
                  outpost agent list --status active
                  outpost agent list --sort name --json
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "Only agents with this status.") var status: String?
        @Option(help: "Sort by this column of the agents table instead.") var sort: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let agents = try node.openStore().agents(status: status, sortedBy: sort)
            if output.json {
                Output.json(agents)
                return
            }
            Output.table(
                headers: ["ID", "NAME", "TYPE", "STATUS", "VERSION", "SYNC", "UPDATED"],
                rows: agents.map {
                    [$0.id, $0.name, $0.type, $0.status, "\($0.version)", $0.syncStatus ?? "", $0.updatedAt ?? ""]
                }
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one agent with its configuration.",
            discussion: "Example:\n  outpost agent show 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agent's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let agent = try node.openStore().requireAgent(id: id)
            if output.json {
                Output.json(agent)
                return
            }
            Output.fields([
                ("id", agent.id), ("name", agent.name), ("type", agent.type), ("status", agent.status),
                ("version", "\(agent.version)"), ("sync status", agent.syncStatus ?? ""),
                ("created", agent.createdAt ?? ""), ("updated", agent.updatedAt ?? ""),
                ("last sync", agent.lastSync ?? ""),
            ])
            print("config:")
            print(agent.config?.encoded(.pretty) ?? "null", terminator: agent.config == nil ? "\n" : "")
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an agent; its version goes up by one.",
            discussion: """
                With --expected-version, the update happens only if the agent is still at that version;
                otherwise a conflict is recorded and the command fails.

                Example:
                  outpost agent update 0193a1c2-… --status active --expected-version 3
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agent's id.") var id: String
        @Option(help: "A new display name.") var name: String?
        @Option(help: "A new type.") var type: String?
        @Option(help: "A new status.") var status: String?
        @Option(help: "A new configuration (JSON object or @FILE); replaces the old one.") var config: String?
        @Option(help: "Fail with a recorded conflict unless the agent is at this version.")
        var expectedVersion: Int?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let config = try config.map { text throws(OutpostError) in
                try JSONArgument.parseObject(text, option: "config")
            }
            let changes = AgentChanges(name: name, type: type, status: status, config: config)
            let agent = try node.openStore().updateAgent(id: id, changes, expectedVersion: expectedVersion)
            if output.json {
                Output.json(agent)
            } else {
                print("Updated agent \(agent.id) to version \(agent.version)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove an agent (the delete syncs to the hub).",
            discussion: "Example:\n  outpost agent rm 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agent's id.") var id: String

        func run() throws {
            try node.openStore().removeAgent(id: id)
            print("Removed agent \(id)")
        }
    }
}
