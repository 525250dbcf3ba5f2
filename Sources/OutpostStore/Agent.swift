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
    /// This node's view of the row: `pending`, `synced`, `conflict` or `error`. Not synced itself.
    public var syncStatus: String?
    /// Bumped by every update made through Outpost; checked by `expectedVersion`.
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case id, name, type, status, config, version
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastSync = "last_sync"
        case syncStatus = "sync_status"
    }
}

/// The fields of an agent that an update may change; `nil` leaves a field as it is.
public struct AgentChanges: Sendable, Equatable {
    public var name: String?
    public var type: String?
    public var status: String?
    public var config: JSONValue?

    public init(name: String? = nil, type: String? = nil, status: String? = nil, config: JSONValue? = nil) {
        self.name = name
        self.type = type
        self.status = status
        self.config = config
    }

    var isEmpty: Bool { name == nil && type == nil && status == nil && config == nil }
}
