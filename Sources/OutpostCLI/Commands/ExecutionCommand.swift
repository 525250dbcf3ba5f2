import ArgumentParser
import Foundation
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostSystem

struct ExecutionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execution",
        abstract: "List, show and run workflow executions.",
        subcommands: [List.self, Show.self, Run.self]
    )

    /// Marks the runs a crash interrupted and says so on standard error; their retries run in
    /// the background.
    static func recover(_ runner: WorkflowRunner, home: String) async throws(OutpostError) {
        let recovery = try await runner.recoverInterrupted()
        for execution in recovery.interrupted {
            FileHandle.standardError.write(Data("Found interrupted execution \(execution.id).\n".utf8))
        }
        for retry in recovery.retries {
            _ = try ChildProcess(NodeOptions.executablePath, ["execution", "run", retry.id, "--home", home])
                .start()
        }
    }

    /// Prints a finished execution; a run that did not complete exits 1 after it is printed.
    static func report(_ execution: Execution, json: Bool) throws {
        if json { Output.json(execution) } else { show(execution) }
        guard execution.status == ExecutionStatus.completed.rawValue else {
            FileHandle.standardError.write(
                Data("Error: Execution \(execution.id) \(execution.status): \(execution.errorMessage ?? "")\n".utf8)
            )
            throw ExitCode(1)
        }
    }

    /// An execution for a person: its fields, then one line per step.
    static func show(_ execution: Execution) {
        Output.fields([
            ("id", execution.id), ("workflow", execution.workflowID), ("status", execution.status),
            ("node", execution.nodeID ?? ""),
            ("started", execution.startedAt ?? ""), ("completed", execution.completedAt ?? ""),
            ("duration ms", execution.durationMilliseconds.map(String.init) ?? ""),
            ("error", execution.errorMessage ?? ""),
            ("input", Output.cell(execution.inputData)), ("output", Output.cell(execution.outputData)),
            ("resources", Output.cell(execution.resourceUsage)),
        ])
        guard case .array(let steps)? = execution.stepResults, !steps.isEmpty else { return }
        print("")
        Output.table(
            headers: ["STEP", "TYPE", "STATUS", "TRIES", "DURATION MS", "ERROR"],
            rows: steps.map { step in
                [
                    step["id"]?.stringValue ?? "", step["type"]?.stringValue ?? "", step["status"]?.stringValue ?? "",
                    Output.cell(step["attempts"]), Output.cell(step["duration_ms"]), step["error"]?.stringValue ?? "",
                ]
            }
        )
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
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
            commandName: "show",
            abstract: "Show one execution with its input, output and each step's result.",
            discussion: "Example:\n  outpost execution show 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f --json"
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The execution's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let execution = try node.openStore().requireExecution(id: id)
            if output.json { Output.json(execution) } else { ExecutionCommand.show(execution) }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a queued execution now, in this process, and wait for its end.",
            discussion: """
                `outpost workflow run` without --wait queues an execution and runs it with this \
                command in the background; a run retried after a crash is queued the same way. \
                Exits 1 when the run did not complete.

                Example:
                  outpost execution run 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f --json
                """
        )
        @OptionGroup var node: NodeOptions
        @Argument(help: "The queued execution's id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let runner = try node.runner()
            try ExecutionCommand.report(try await runner.run(executionID: id), json: output.json)
        }
    }
}
