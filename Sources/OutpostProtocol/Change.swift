public import OutpostCore

/// One change a node pushes: a row written or deleted, and the hub version it was based on.
///
/// ```json
/// {"id": "0193…", "table": "agents", "key": "a1", "op": "upsert", "base_version": 3,
///  "data": {"name": "Camera", "status": "active"}, "partial": true, "hlc": 117676184251465729,
///  "priority": 8}
/// ```
public struct Change: Codable, Sendable, Equatable {
    /// The change's idempotency key: never reused by the node, even across power cuts.
    public var id: String
    public var table: String
    /// The row's primary key as the node's outbox records it: the value of a one-column key, a
    /// JSON array of the values of a composite one.
    public var key: String
    public var operation: ChangeOperation
    /// The hub version the node last saw for this row; 0 when it has never seen the row.
    public var baseVersion: Int64
    /// For an upsert, the row's columns (all of them, or only the changed ones when `partial`).
    public var data: JSONValue?
    /// Whether `data` holds only the changed columns, to merge into the hub's row.
    public var partial: Bool
    /// The node's hybrid-logical-clock stamp of the change (packed).
    public var hlc: Int64
    /// The node that made the change, when a site hub pushes it on that node's behalf (only a
    /// credential the hub marks as a relay may send it); nil for the pushing node's own.
    public var origin: String?
    /// The change's push priority, 1 (background) … 10 (critical), as the node's outbox rated
    /// it; nil for the default, 5. The hub keeps it with the row so a site hub's relay sends
    /// its nodes' changes up the WAN in the same order the nodes would.
    public var priority: Int?

    public init(
        id: String,
        table: String,
        key: String,
        operation: ChangeOperation,
        baseVersion: Int64,
        data: JSONValue? = nil,
        partial: Bool = false,
        hlc: Int64,
        origin: String? = nil,
        priority: Int? = nil
    ) {
        self.id = id
        self.table = table
        self.key = key
        self.operation = operation
        self.baseVersion = baseVersion
        self.data = data
        self.partial = partial
        self.hlc = hlc
        self.origin = origin
        self.priority = priority
    }

    enum CodingKeys: String, CodingKey {
        case id, table, key, data, partial, hlc, origin, priority
        case operation = "op"
        case baseVersion = "base_version"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        table = try container.decode(String.self, forKey: .table)
        key = try container.decode(String.self, forKey: .key)
        operation = try container.decode(ChangeOperation.self, forKey: .operation)
        baseVersion = try container.decode(Int64.self, forKey: .baseVersion)
        data = try container.decodeIfPresent(JSONValue.self, forKey: .data)
        partial = try container.decodeIfPresent(Bool.self, forKey: .partial) ?? false
        hlc = try container.decode(Int64.self, forKey: .hlc)
        origin = try container.decodeIfPresent(String.self, forKey: .origin)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority)
    }
}

/// What a change does to its row.
public enum ChangeOperation: String, Codable, Sendable {
    /// Insert the row, or update it (the hub decides which by whether it exists).
    case upsert
    /// Delete the row; the hub keeps a tombstone.
    case delete
}
