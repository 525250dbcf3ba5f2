public import OutpostCore

/// One run of a workflow, as stored in the seed's `executions` table.
///
/// `status` goes queued → running → completed | failed | cancelled | interrupted (see
/// ``ExecutionStatus``); `stepResults` holds each step's outcome as the run goes, and
/// `nodeID` the node that ran it.
public struct Execution: Sendable, Equatable, Codable {
    public var id: String
    public var workflowID: String
    public var status: String
    public var inputData: JSONValue?
    public var outputData: JSONValue?
    public var errorMessage: String?
    public var startedAt: String?
    public var completedAt: String?
    public var durationMilliseconds: Int?
    public var resourceUsage: JSONValue?
    /// The node that ran it.
    public var nodeID: String?
    /// Each step's status, attempts, times, output and error, in order.
    public var stepResults: JSONValue?
    public var syncStatus: String?

    public init(
        id: String,
        workflowID: String,
        status: String = "queued",
        inputData: JSONValue? = nil,
        outputData: JSONValue? = nil,
        errorMessage: String? = nil,
        startedAt: String? = nil,
        completedAt: String? = nil,
        durationMilliseconds: Int? = nil,
        resourceUsage: JSONValue? = nil,
        nodeID: String? = nil,
        stepResults: JSONValue? = nil,
        syncStatus: String? = nil
    ) {
        self.id = id
        self.workflowID = workflowID
        self.status = status
        self.inputData = inputData
        self.outputData = outputData
        self.errorMessage = errorMessage
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.durationMilliseconds = durationMilliseconds
        self.resourceUsage = resourceUsage
        self.nodeID = nodeID
        self.stepResults = stepResults
        self.syncStatus = syncStatus
    }

    enum CodingKeys: String, CodingKey {
        case id, status
        case workflowID = "workflow_id"
        case inputData = "input_data"
        case outputData = "output_data"
        case errorMessage = "error_message"
        case startedAt = "started_at"
        case completedAt = "completed_at"
        case durationMilliseconds = "duration_ms"
        case resourceUsage = "resource_usage"
        case nodeID = "node_id"
        case stepResults = "step_results"
        case syncStatus = "sync_status"
    }
}
