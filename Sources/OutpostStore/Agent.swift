public import OutpostCore

/// An agent, as stored in the seed's `agents` table.
public struct Agent: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var type: String
    public var status: String
    /// The agent's configuration, a JSON document (stored as text).
    public var config: JSONValue?
    public var createdAt: String?
    public var updatedAt: String?
    public var lastSync: String?
    /// The node that runs its scheduled and triggered workflows; `nil` runs them nowhere.
    public var nodeID: String?
    /// Why it has its status (an `error` names the runs that failed).
    public var statusReason: String?
    /// When it last finished a run.
    public var lastActive: String?
    /// This node's view of the row: `pending`, `synced`, `conflict` or `error`. Not synced itself.
    public var syncStatus: String?
    /// Bumped by every update made through Outpost; checked by `expectedVersion`.
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case id, name, type, status, config, version
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastSync = "last_sync"
        case nodeID = "node_id"
        case statusReason = "status_reason"
        case lastActive = "last_active"
        case syncStatus = "sync_status"
    }
}

/// The fields of an agent that an update may change; `nil` leaves a field as it is, and an
/// empty `nodeID` or `statusReason` clears it.
public struct AgentChanges: Sendable, Equatable {
    public var name: String?
    public var type: String?
    public var status: String?
    public var config: JSONValue?
    public var nodeID: String?
    public var statusReason: String?
    public var lastActive: String?

    public init(
        name: String? = nil,
        type: String? = nil,
        status: String? = nil,
        config: JSONValue? = nil,
        nodeID: String? = nil,
        statusReason: String? = nil,
        lastActive: String? = nil
    ) {
        self.name = name
        self.type = type
        self.status = status
        self.config = config
        self.nodeID = nodeID
        self.statusReason = statusReason
        self.lastActive = lastActive
    }

    var isEmpty: Bool {
        name == nil && type == nil && status == nil && config == nil && nodeID == nil && statusReason == nil
            && lastActive == nil
    }
}
