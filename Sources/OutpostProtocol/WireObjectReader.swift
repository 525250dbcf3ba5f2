package import OutpostCore

/// Walks one object of a wire body read piece by piece (``JSONParser``): its members in turn,
/// refusing a name given twice, with typed reads that name the member's path (as ``WireError``
/// does) when the value has the wrong type. The hub reads pushes this way, and nodes pulls.
package struct WireObjectReader {
    package let path: String
    private var first = true
    private var names = JSONMemberNames()

    package init(path: String) {
        self.path = path
    }

    package func place(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Enters the object; the value must be one.
    package func begin(_ parser: inout JSONParser) throws {
        guard try parser.peekKind() == .object else { throw WireError(path: path, expected: "an object") }
        parser.beginObject()
    }

    /// The next member's name, or `nil` at the end of the object.
    package mutating func next(_ parser: inout JSONParser) throws -> String? {
        guard let name = try parser.nextMember(first: &first) else { return nil }
        guard names.insert(name) else { throw parser.failure("duplicate member name \"\(name)\"") }
        return name
    }

    package func string(_ parser: inout JSONParser, _ name: String) throws -> String {
        guard try parser.peekKind() == .string, case .string(let value) = try parser.readValue() else {
            throw WireError(path: place(name), expected: "a string")
        }
        return value
    }

    package func integer(_ parser: inout JSONParser, _ name: String) throws -> Int64 {
        guard try parser.peekKind() == .number, case .integer(let value) = try parser.readValue() else {
            throw WireError(path: place(name), expected: "an integer")
        }
        return value
    }

    /// An integer, or `nil` for null.
    package func optionalInteger(_ parser: inout JSONParser, _ name: String) throws -> Int64? {
        if try parser.peekKind() == .null {
            _ = try parser.readValue()
            return nil
        }
        return try integer(&parser, name)
    }

    package func bool(_ parser: inout JSONParser, _ name: String) throws -> Bool {
        guard try parser.peekKind() == .bool, case .bool(let value) = try parser.readValue() else {
            throw WireError(path: place(name), expected: "true or false")
        }
        return value
    }

    /// A boolean, or `nil` for null.
    package func optionalBool(_ parser: inout JSONParser, _ name: String) throws -> Bool? {
        switch try parser.readValue() {
        case .bool(let value): return value
        case .null: return nil
        default: throw WireError(path: place(name), expected: "true or false")
        }
    }
}
