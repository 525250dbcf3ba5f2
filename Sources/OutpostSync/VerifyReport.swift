/// What `outpost verify` found: per table, the keys whose copies differ from the hub's and why.
public struct VerifyReport: Sendable, Encodable {
    /// Why a node's copy of a row may differ from the hub's.
    public enum Reason: String, Sendable, Encodable, CaseIterable {
        /// A local change waits to be pushed (or is being pushed).
        case pending
        /// A local change is held: the hub answered with a newer row, and the merge waits.
        case conflict
        /// The hub refused the local change; it is parked as failed until it is retried.
        case failed
        /// A pulled row could not be applied here (a constraint); a conflict records it.
        case parked
        /// The hub changed the row after the node's last pull: the next sync brings it.
        case notPulled = "not_pulled"
        /// The table is being fetched from the hub from the start and is not done yet.
        case notFilled = "not_filled"
        /// Retention removed the row from this node; the hub keeps it (finished executions).
        case pruned
        /// Nothing on the node explains it: the copies diverged (a write with capture off, a
        /// restored backup, a change made in the hub's database).
        case unexplained

    }

    /// Which side holds a live copy of the row.
    public enum Presence: String, Sendable, Encodable {
        case both
        case nodeOnly = "node_only"
        case hubOnly = "hub_only"
    }

    public struct Difference: Sendable, Encodable, Equatable {
        public var key: String
        public var presence: Presence
        public var reason: Reason
    }

    public struct Table: Sendable, Encodable {
        public var table: String
        /// Live rows on the node.
        public var rows: Int
        /// Requests the comparison took (1 when the table matches).
        public var requests: Int
        public var differences: [Difference]

        public var matches: Bool { differences.isEmpty }
        public var unexplained: Int { differences.count { $0.reason == .unexplained } }

        enum CodingKeys: String, CodingKey {
            case table, rows, requests, differences, matches, unexplained
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(table, forKey: .table)
            try container.encode(rows, forKey: .rows)
            try container.encode(requests, forKey: .requests)
            try container.encode(differences, forKey: .differences)
            try container.encode(matches, forKey: .matches)
            try container.encode(unexplained, forKey: .unexplained)
        }
    }

    public var tables: [Table] = []
    public var bytesSent = 0
    public var bytesReceived = 0

    /// Differences nothing on the node explains: `outpost verify` exits non-zero on any.
    public var unexplained: Int { tables.reduce(0) { $0 + $1.unexplained } }

    enum CodingKeys: String, CodingKey {
        case tables, unexplained
        case bytesSent = "bytes_sent"
        case bytesReceived = "bytes_received"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tables, forKey: .tables)
        try container.encode(unexplained, forKey: .unexplained)
        try container.encode(bytesSent, forKey: .bytesSent)
        try container.encode(bytesReceived, forKey: .bytesReceived)
    }
}
