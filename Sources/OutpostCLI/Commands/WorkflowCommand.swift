import ArgumentParser
import Foundation
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostSystem

struct WorkflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Add, list, show, update, remove and run workflows.",
        discussion: "The definition format, step types and examples: docs/runner.md.",
        subcommands: [Add.self, List.self, Show.self, Update.self, Remove.self, Run.self]
    )

    /// The `--definition` text read and checked as a workflow definition (docs/runner.md).
    static func definition(_ text: String?) throws(OutpostError) -> JSONValue? {
        guard let text else { return nil }
        let value = try JSONArgument.parseObject(text, option: "definition")
        _ = try WorkflowDefinition(parsing: value)
        return value
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a workflow, optionally owned by an agent.",
            discussion: """
                Example:
                  outpost workflow add --name "Count parts" --agent A1 --definition @count.json
                  outpost workflow add --name Greet --definition @greet.json

                The definition is checked before anything is written; docs/runner.md describes it.
                """
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "A display name.") var name: String
        @Option(help: "The workflow's id; defaults to a new time-ordered id (UUIDv7).") var id: String?
        @Option(help: "The id of the agent that runs it.") var agent: String?
        @Option(help: "The definition as a JSON object, or @FILE.") var definition: String?
        @Option(help: "draft (default), active, running, …") var status = "draft"
        @OptionGroup var output: OutputOptions

        func run() throws {
            let definition = try WorkflowCommand.definition(definition)
            let workflow = try node.openStore().addWorkflow(
                id: id,
                name: name,
                definition: definition,
                status: status,
                agentID: agent
            )
            if output.json { Output.json(workflow) } else { print("Added workflow \(workflow.id)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List workflows, most recently updated first.",
            discussion: "Example:\n  outpost workflow list --agent 0193a1c2-… --json"
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "Only workflows of this agent.") var agent: String?
        @Option(help: "Only workflows with this status.") var status: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let workflows = try node.openStore().workflows(agentID: agent, status: status)
            if output.json {
                Output.json(workflows)
                return
            }
            Output.table(
                headers: ["ID", "NAME", "STATUS", "AGENT", "VERSION", "SYNC", "UPDATED"],
                rows: workflows.map {
                    [
                        $0.id, $0.name, $0.status, $0.agentID ?? "", "\($0.version)", $0.syncStatus ?? "",
                        $0.updatedAt ?? "",
                    ]
                }
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one workflow with its definition.",
            discussion: "Example:\n  outpost workflow show 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The workflow's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let workflow = try node.openStore().requireWorkflow(id: id)
            if output.json {
                Output.json(workflow)
                return
            }
            Output.fields([
                ("id", workflow.id), ("name", workflow.name), ("status", workflow.status),
                ("agent", workflow.agentID ?? ""), ("version", "\(workflow.version)"),
                ("executions", "\(workflow.executionCount)"), ("sync status", workflow.syncStatus ?? ""),
                ("created", workflow.createdAt ?? ""), ("updated", workflow.updatedAt ?? ""),
            ])
            print("definition:")
            print(workflow.definition?.encoded(.pretty) ?? "null", terminator: workflow.definition == nil ? "\n" : "")
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Change a workflow; its version goes up by one.",
            discussion: """
                Example:
                  outpost workflow update 0193a1c2-… --status active --expected-version 2
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The workflow's id.") var id: String
        @Option(help: "A new display name.") var name: String?
        @Option(help: "A new definition (JSON object or @FILE); replaces the old one.") var definition: String?
        @Option(help: "A new status.") var status: String?
        @Option(help: "Move it to this agent.") var agent: String?
        @Option(help: "Fail with a recorded conflict unless the workflow is at this version.")
        var expectedVersion: Int?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let definition = try WorkflowCommand.definition(definition)
            let changes = WorkflowChanges(name: name, definition: definition, status: status, agentID: agent)
            let workflow = try node.openStore().updateWorkflow(id: id, changes, expectedVersion: expectedVersion)
            if output.json {
                Output.json(workflow)
            } else {
                print("Updated workflow \(workflow.id) to version \(workflow.version)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a workflow (the delete syncs to the hub).",
            discussion: "Example:\n  outpost workflow rm 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The workflow's id.") var id: String

        func run() throws {
            try node.openStore().removeWorkflow(id: id)
            print("Removed workflow \(id)")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a workflow now, on this node, with no network needed.",
            discussion: """
                The run is an execution (`outpost execution show ID`) written as it goes; it syncs \
                like any row, a failed run first. Without --wait the run goes on in the background \
                and its id is printed at once; with --wait it runs here and prints the finished \
                execution, exiting 1 when the run did not complete. Runs a crash interrupted are \
                found first (marked interrupted; retried when their steps are repeatable).

                Examples:
                  outpost workflow run 0193a1c2-… --input '{"site": "berlin"}'
                  outpost workflow run 0193a1c2-… --wait --json
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The workflow's id.") var id: String
        @Option(help: "The run's input: a JSON object, or @FILE.") var input: String?
        @Flag(help: "Run it here and wait for its end.") var wait = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let input = try input.map { text throws(OutpostError) in try JSONArgument.parseObject(text, option: "input")
            }
            let runner = try node.runner()
            try await ExecutionCommand.recover(runner, home: node.homePath)
            let queued = try await runner.enqueue(workflowID: id, input: input)
            guard wait else {
                _ = try ChildProcess(
                    NodeOptions.executablePath,
                    ["execution", "run", queued.id, "--home", node.homePath]
                ).start()
                if output.json {
                    Output.json(queued)
                } else {
                    print("Started execution \(queued.id); see it with `outpost execution show \(queued.id)`.")
                }
                return
            }
            try ExecutionCommand.report(try await runner.run(executionID: queued.id), json: output.json)
        }
    }
}
