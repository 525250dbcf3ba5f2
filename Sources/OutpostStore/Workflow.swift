public import OutpostCore

/// A workflow, as stored in the seed's `workflows` table.
public struct Workflow: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// The workflow definition, a JSON document (stored as text).
    public var definition: JSONValue?
    public var status: String
    public var agentID: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var lastExecution: String?
    public var executionCount: Int
    public var syncStatus: String?
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case id, name, definition, status, version
        case agentID = "agent_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastExecution = "last_execution"
        case executionCount = "execution_count"
        case syncStatus = "sync_status"
    }
}

/// The fields of a workflow that an update may change; `nil` leaves a field as it is.
public struct WorkflowChanges: Sendable, Equatable {
    public var name: String?
    public var definition: JSONValue?
    public var status: String?
    public var agentID: String?

    public init(name: String? = nil, definition: JSONValue? = nil, status: String? = nil, agentID: String? = nil) {
        self.name = name
        self.definition = definition
        self.status = status
        self.agentID = agentID
    }

    var isEmpty: Bool { name == nil && definition == nil && status == nil && agentID == nil }
}
