public import OutpostCore

/// Reads wire types out of a parsed ``JSONValue``, naming the path of anything missing or wrong.
///
/// The wire types decode through this rather than `JSONDecoder`: decoding ``JSONValue`` with
/// `Codable` tries each JSON type in turn and throws on every miss, which made decoding a
/// 1,000-change push the hub's largest cost.
public struct WireReader: Sendable {
    public let members: [String: JSONValue]
    public let path: String

    /// - Throws: ``WireError`` when `value` is not an object.
    public init(_ value: JSONValue, path: String = "") throws(WireError) {
        guard case .object(let members) = value else { throw WireError(path: path, expected: "an object") }
        self.members = members
        self.path = path
    }

    public func place(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func string(_ key: String) throws(WireError) -> String {
        guard case .string(let value)? = members[key] else { throw WireError(path: place(key), expected: "a string") }
        return value
    }

    public func integer(_ key: String) throws(WireError) -> Int64 {
        guard case .integer(let value)? = members[key] else {
            throw WireError(path: place(key), expected: "an integer")
        }
        return value
    }

    public func optionalInteger(_ key: String) throws(WireError) -> Int64? {
        switch members[key] {
        case nil, .null?: return nil
        case .integer(let value)?: return value
        default: throw WireError(path: place(key), expected: "an integer")
        }
    }

    public func bool(_ key: String, default fallback: Bool? = nil) throws(WireError) -> Bool {
        switch members[key] {
        case .bool(let value)?: return value
        case nil, .null?:
            if let fallback { return fallback }
            fallthrough
        default: throw WireError(path: place(key), expected: "true or false")
        }
    }

    /// The member as an object or null (`nil` when absent or null).
    public func optionalObject(_ key: String) throws(WireError) -> JSONValue? {
        switch members[key] {
        case nil, .null?: return nil
        case .object(let value)?: return .object(value)
        default: throw WireError(path: place(key), expected: "an object or null")
        }
    }

    public func array(_ key: String) throws(WireError) -> [JSONValue] {
        guard case .array(let values)? = members[key] else { throw WireError(path: place(key), expected: "an array") }
        return values
    }
}
