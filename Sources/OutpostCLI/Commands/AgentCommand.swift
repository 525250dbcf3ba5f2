import ArgumentParser
import OutpostCore
import OutpostStore

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Add, list, show, update, remove, start, stop and pause agents.",
        discussion: """
            An agent's scheduled and triggered workflows run on the node it names (--node) while \
            it is active (`outpost agent start`), under `outpost run`; see docs/runner.md.
            """,
        subcommands: [Add.self, List.self, Show.self, Update.self, Remove.self, Start.self, Stop.self, Pause.self]
    )

    /// The node an agent runs on, as `--node` gives it: a node id, `this` for this node, or
    /// `none` (an update stores it as no node: `""` clears the column; an add leaves it empty).
    static func runsOn(_ text: String?, store: Store, clearing: Bool) -> String? {
        switch text {
        case "this"?: store.nodeID
        case "none"?: clearing ? "" : nil
        default: text
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add an agent.",
            discussion: """
                Example:
                  outpost agent add --name "Line camera" --type vision --config '{"fps": 5}'
                  outpost agent add --name Counter --type sensor --config @counter.json
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "A display name.") var name: String
        @Option(help: "The kind of agent, e.g. vision, sensor, llm.") var type: String
        @Option(help: "The agent's id; defaults to a new time-ordered id (UUIDv7).") var id: String?
        @Option(help: "inactive (default), active, running, critical, …") var status = "inactive"
        @Option(help: "Configuration as a JSON object, or @FILE.") var config: String?
        @Option(
            name: .customLong("node"),
            help: "The node that runs its scheduled and triggered workflows: a node id, or `this`."
        )
        var runsOn: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let config = try config.map { text throws(OutpostError) in
                try JSONArgument.parseObject(text, option: "config")
            }
            let store = try node.openStore()
            let agent = try store.addAgent(
                id: id,
                name: name,
                type: type,
                status: status,
                config: config,
                nodeID: AgentCommand.runsOn(runsOn, store: store, clearing: false)
            )
            if output.json { Output.json(agent) } else { print("Added agent \(agent.id)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
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
            commandName: "show",
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
            commandName: "update",
            abstract: "Change an agent; its version goes up by one.",
            discussion: """
                With --expected-version, the update happens only if the agent is still at that version; \
                otherwise a conflict is recorded and the command fails.

                Example:
                  outpost agent update 0193a1c2-… --status active --expected-version 3
                  outpost agent update 0193a1c2-… --node this
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agent's id.") var id: String
        @Option(help: "A new display name.") var name: String?
        @Option(help: "A new type.") var type: String?
        @Option(help: "A new status.") var status: String?
        @Option(help: "A new configuration (JSON object or @FILE); replaces the old one.") var config: String?
        @Option(name: .customLong("node"), help: "Run it on this node: a node id, `this`, or `none`.")
        var runsOn: String?
        @Option(help: "Fail with a recorded conflict unless the agent is at this version.")
        var expectedVersion: Int?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let config = try config.map { text throws(OutpostError) in
                try JSONArgument.parseObject(text, option: "config")
            }
            let store = try node.openStore()
            let changes = AgentChanges(
                name: name,
                type: type,
                status: status,
                config: config,
                nodeID: AgentCommand.runsOn(runsOn, store: store, clearing: true)
            )
            let agent = try store.updateAgent(id: id, changes, expectedVersion: expectedVersion)
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

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Make an agent active: its node runs its scheduled and triggered workflows.",
            discussion: "Clears an error status and its reason.\n\nExample:\n  outpost agent start 0193a1c2-…"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agent's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws { try AgentCommand.setStatus("active", of: id, node: node, json: output.json) }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stop",
            abstract: "Make an agent inactive: nothing starts its workflows by schedule or trigger.",
            discussion: "Runs in flight finish.\n\nExample:\n  outpost agent stop 0193a1c2-…"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agent's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws { try AgentCommand.setStatus("inactive", of: id, node: node, json: output.json) }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pause",
            abstract: "Pause an agent: like stop, but says it is meant to come back (`agent start`).",
            discussion: "Example:\n  outpost agent pause 0193a1c2-…"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The agent's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws { try AgentCommand.setStatus("paused", of: id, node: node, json: output.json) }
    }

    static func setStatus(_ status: String, of id: String, node: NodeOptions, json: Bool) throws {
        let store = try node.openStore()
        let agent = try store.updateAgent(id: id, AgentChanges(status: status, statusReason: ""))
        if json {
            Output.json(agent)
            return
        }
        let place =
            switch agent.nodeID {
            case nil: "; it runs on no node until one is set with `outpost agent update \(id) --node NODE`"
            case store.nodeID?: " on this node"
            case let other?: " on node \(other)"
            }
        print("Agent \(id) is \(status)\(status == "active" ? place : "").")
    }
}
