public import OutpostCore

/// `POST /v1/digest`: what the node asks about one table (docs/sync-protocol.md, "Verify").
public struct DigestRequest: Sendable, Equatable {
    public var table: String
    /// The columns to compare: the node's synced columns (a column only the hub has is kept in
    /// the node's base rows and does not count as a difference).
    public var columns: [String]
    public var range: KeyHashRange
    /// How many buckets to cut the range into when it holds more than ``rowsUpTo`` rows.
    public var buckets: Int
    /// Up to this many rows in the range, list them instead of bucketing.
    public var rowsUpTo: Int

    public init(table: String, columns: [String], range: KeyHashRange = .all, buckets: Int = 64, rowsUpTo: Int = 256) {
        self.table = table
        self.columns = columns
        self.range = range
        self.buckets = buckets
        self.rowsUpTo = rowsUpTo
    }

    public var json: JSONValue {
        [
            "table": .string(table), "columns": .array(columns.map(JSONValue.string)),
            "from": .string(Self.hex(range.lower)), "to": .string(Self.hex(range.upper)),
            "buckets": .integer(Int64(buckets)), "rows_up_to": .integer(Int64(rowsUpTo)),
        ]
    }

    public init(json: JSONValue) throws(WireError) {
        let reader = try WireReader(json)
        let columns = try reader.array("columns")
        self.table = try reader.string("table")
        self.columns = try columns.enumerated().map { index, column throws(WireError) in
            guard case .string(let name) = column else {
                throw WireError(path: "columns[\(index)]", expected: "a string")
            }
            return name
        }
        let lower = try Self.hash(reader, "from", default: 0)
        let upper = try Self.hash(reader, "to", default: .max)
        guard lower <= upper else { throw WireError(path: "to", expected: "a hash not below 'from'") }
        self.range = KeyHashRange(lower: lower, upper: upper)
        self.buckets = Int(try reader.optionalInteger("buckets") ?? 64)
        self.rowsUpTo = Int(try reader.optionalInteger("rows_up_to") ?? 256)
    }

    /// A hash as 16 lowercase hexadecimal digits (JSON numbers cannot carry 64 unsigned bits).
    public static func hex(_ hash: UInt64) -> String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static func hash(_ reader: WireReader, _ key: String, default fallback: UInt64) throws(WireError)
        -> UInt64
    {
        guard let member = reader.members[key], member != .null else { return fallback }
        guard case .string(let text) = member, text.utf8.count == 16, let value = UInt64(text, radix: 16) else {
            throw WireError(path: reader.place(key), expected: "16 hexadecimal digits")
        }
        return value
    }
}

/// The hub's answer to a ``DigestRequest``: the range's rows when there are few, else one
/// count and hash sum per bucket.
public struct DigestAnswer: Sendable, Equatable {
    /// One bucket: how many live rows fall in it, and the wrapping sum of their row hashes.
    public struct Bucket: Sendable, Equatable {
        public var count: Int
        public var sum: UInt64

        public init(count: Int = 0, sum: UInt64 = 0) {
            self.count = count
            self.sum = sum
        }

        public mutating func add(_ hash: UInt64) {
            count += 1
            sum &+= hash
        }
    }

    /// One row of a listed range; a tombstone has no hash.
    public struct Row: Sendable, Equatable {
        public var key: String
        public var hash: UInt64?
        public var version: Int64
        public var sequence: Int64

        public init(key: String, hash: UInt64?, version: Int64, sequence: Int64) {
            self.key = key
            self.hash = hash
            self.version = version
            self.sequence = sequence
        }
    }

    /// The tenant's newest sequence number when the digest began: a row changed after the
    /// node's cursor is one it has not pulled yet.
    public var sequence: Int64
    /// Set when the range was cut into buckets.
    public var buckets: [Bucket]?
    /// Set when the range was listed: every row in it, tombstones included.
    public var rows: [Row]?

    public init(sequence: Int64, buckets: [Bucket]? = nil, rows: [Row]? = nil) {
        self.sequence = sequence
        self.buckets = buckets
        self.rows = rows
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["sequence": .integer(sequence)]
        if let buckets {
            members["buckets"] = .array(
                buckets.map { .array([.integer(Int64($0.count)), .string(DigestRequest.hex($0.sum))]) }
            )
        }
        if let rows {
            members["rows"] = .array(
                rows.map {
                    .array([
                        .string($0.key), $0.hash.map { .string(DigestRequest.hex($0)) } ?? .null,
                        .integer($0.version), .integer($0.sequence),
                    ])
                }
            )
        }
        return .object(members)
    }

    public init(json: JSONValue) throws(WireError) {
        let reader = try WireReader(json)
        sequence = try reader.integer("sequence")
        if reader.members["buckets"] != nil {
            buckets = try reader.array("buckets").enumerated().map { index, bucket throws(WireError) in
                guard case .array(let parts) = bucket, parts.count == 2, case .integer(let count) = parts[0],
                    case .string(let text) = parts[1], let sum = UInt64(text, radix: 16)
                else { throw WireError(path: "buckets[\(index)]", expected: "[count, \"hex sum\"]") }
                return Bucket(count: Int(count), sum: sum)
            }
        }
        if reader.members["rows"] != nil {
            rows = try reader.array("rows").enumerated().map { index, row throws(WireError) in
                guard case .array(let parts) = row, parts.count == 4, case .string(let key) = parts[0],
                    case .integer(let version) = parts[2], case .integer(let sequence) = parts[3]
                else { throw WireError(path: "rows[\(index)]", expected: "[key, hash or null, version, sequence]") }
                var hash: UInt64?
                if case .string(let text) = parts[1] {
                    guard let value = UInt64(text, radix: 16) else {
                        throw WireError(path: "rows[\(index)][1]", expected: "16 hexadecimal digits")
                    }
                    hash = value
                }
                return Row(key: key, hash: hash, version: version, sequence: sequence)
            }
        }
    }
}
