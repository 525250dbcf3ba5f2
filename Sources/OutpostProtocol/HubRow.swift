public import OutpostCore

/// A row as the hub holds it: its latest state, version and the change that made it.
public struct HubRow: Codable, Sendable, Equatable {
    public var table: String
    public var key: String
    /// Starts at 1 and goes up by one with every applied change.
    public var version: Int64
    /// The row's columns; `null` for a tombstone.
    public var data: JSONValue?
    public var deleted: Bool
    /// The clock stamp of the change that made this version.
    public var hlc: Int64
    /// The hub id of the node that made this version.
    public var origin: String
    /// The tenant-wide sequence number of this version: pull cursors count these.
    public var sequence: Int64
    /// The row left the pulling node's scope (an edit moved it out): the node drops its copy
    /// and its record of the hub's version, and the row is not deleted anywhere else. Sent as
    /// `"left": true` on a tombstone, and only then; a node that does not know it takes a
    /// deletion.
    public var left: Bool
    /// The id of the change that wrote the row, sent only to a site hub's relay.
    public var changeID: String?
    /// ``data`` as the JSON text it arrived in, when the row was read from a pull answer
    /// (``PullResponse/init(parsing:)``): a node records it as the row's base as it is, instead
    /// of encoding the values it just parsed back into text. Not sent, and not compared: two rows
    /// with the same values are equal whatever text carried them.
    public var dataText: String?

    public init(
        table: String,
        key: String,
        version: Int64,
        data: JSONValue?,
        deleted: Bool,
        hlc: Int64,
        origin: String,
        sequence: Int64,
        left: Bool = false,
        changeID: String? = nil,
        dataText: String? = nil
    ) {
        self.table = table
        self.key = key
        self.version = version
        self.data = data
        self.deleted = deleted
        self.hlc = hlc
        self.origin = origin
        self.sequence = sequence
        self.left = left
        self.changeID = changeID
        self.dataText = dataText
    }

    public static func == (lhs: HubRow, rhs: HubRow) -> Bool {
        lhs.table == rhs.table && lhs.key == rhs.key && lhs.version == rhs.version && lhs.data == rhs.data
            && lhs.deleted == rhs.deleted && lhs.hlc == rhs.hlc && lhs.origin == rhs.origin
            && lhs.sequence == rhs.sequence && lhs.left == rhs.left && lhs.changeID == rhs.changeID
    }

    enum CodingKeys: String, CodingKey {
        case table, key, version, data, deleted, hlc, origin, sequence, left
        case changeID = "change_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            table: try container.decode(String.self, forKey: .table),
            key: try container.decode(String.self, forKey: .key),
            version: try container.decode(Int64.self, forKey: .version),
            data: try container.decodeIfPresent(JSONValue.self, forKey: .data),
            deleted: try container.decode(Bool.self, forKey: .deleted),
            hlc: try container.decode(Int64.self, forKey: .hlc),
            origin: try container.decode(String.self, forKey: .origin),
            sequence: try container.decode(Int64.self, forKey: .sequence),
            left: try container.decodeIfPresent(Bool.self, forKey: .left) ?? false,
            changeID: try container.decodeIfPresent(String.self, forKey: .changeID)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(table, forKey: .table)
        try container.encode(key, forKey: .key)
        try container.encode(version, forKey: .version)
        try container.encode(data, forKey: .data)
        try container.encode(deleted, forKey: .deleted)
        try container.encode(hlc, forKey: .hlc)
        try container.encode(origin, forKey: .origin)
        try container.encode(sequence, forKey: .sequence)
        if left { try container.encode(true, forKey: .left) }
        if let changeID { try container.encode(changeID, forKey: .changeID) }
    }
}
