import ArgumentParser
import OutpostCore
import OutpostStore

struct ExecutionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execution",
        abstract: "List and show workflow executions.",
        subcommands: [List.self, Show.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List executions, newest first.",
            discussion: "Example:\n  outpost execution list --workflow 0193a1c2-… --status failed"
        )
        @OptionGroup var node: NodeOptions
        @Option(help: "Only executions of this workflow.") var workflow: String?
        @Option(help: "Only executions with this status.") var status: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let executions = try node.openStore().executions(workflowID: workflow, status: status)
            if output.json {
                Output.json(executions)
                return
            }
            Output.table(
                headers: ["ID", "WORKFLOW", "STATUS", "STARTED", "DURATION MS", "ERROR"],
                rows: executions.map {
                    [
                        $0.id, $0.workflowID, $0.status, $0.startedAt ?? "",
                        $0.durationMilliseconds.map(String.init) ?? "", $0.errorMessage ?? "",
                    ]
                }
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one execution with its input, output and resource usage.",
            discussion: "Example:\n  outpost execution show 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f --json"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The execution's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let execution = try node.openStore().requireExecution(id: id)
            if output.json {
                Output.json(execution)
                return
            }
            Output.fields([
                ("id", execution.id), ("workflow", execution.workflowID), ("status", execution.status),
                ("started", execution.startedAt ?? ""), ("completed", execution.completedAt ?? ""),
                ("duration ms", execution.durationMilliseconds.map(String.init) ?? ""),
                ("error", execution.errorMessage ?? ""),
                ("input", Output.cell(execution.inputData)), ("output", Output.cell(execution.outputData)),
                ("resources", Output.cell(execution.resourceUsage)),
            ])
        }
    }
}
