public import OutpostCore
import OutpostStore

/// `workflow`: runs another workflow as part of this run and uses its output.
///
/// Fields: `workflow` (its id), `input`. The nested run is an execution of its own; this step
/// fails when it does. Output: the nested run's output.
public struct WorkflowStep: StepExecutor {
    public let type = "workflow"
    public let fields: Set<String> = ["workflow", "input"]

    public init() {}

    public func validate(_ step: StepDefinition, field: String) throws(OutpostError) {
        _ = try requireString(step, "workflow", field: field)
    }

    public func run(_ fields: [String: JSONValue], context: StepContext) async throws -> JSONValue {
        guard let workflowID = fields["workflow"]?.stringValue else { throw StepFailure("workflow is missing") }
        let nested = try await context.runWorkflow(workflowID, fields["input"])
        guard nested.status == ExecutionStatus.completed.rawValue else {
            throw StepFailure(
                "workflow \(workflowID) ended \(nested.status) (execution \(nested.id)): \(nested.errorMessage ?? "")",
                output: nested.outputData
            )
        }
        return nested.outputData ?? .null
    }
}
