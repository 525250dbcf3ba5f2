import OutpostCore

/// A change's `data` as the node sent it: the JSON text and, for an object, each column's name
/// and size, which is all that validation needs.
package struct RowData: Sendable, Equatable {
    package struct Column: Sendable, Equatable {
        var name: String
        /// The value's length in the text sent.
        var byteCount: Int
        /// Whether the value (or the name) holds U+0000, which PostgreSQL text cannot store.
        var containsNullCharacter: Bool
    }

    /// The value's JSON text, exactly as sent.
    var text: String
    /// The object's columns in the order sent; `nil` when the value is not an object.
    var columns: [Column]?

    /// The value, parsed from the text (which the hub has already checked to be valid JSON).
    func value() throws(OutpostError) -> JSONValue {
        try JSONValue(parsing: text)
    }
}

extension RowData {
    /// The text a node would send for `value`, compact.
    init(value: JSONValue) {
        text = value.encoded()
        if case .object(let members) = value {
            columns = members.map { name, member in
                Column(
                    name: name,
                    byteCount: member.encodedByteCount,
                    containsNullCharacter: name.utf8.contains(0) || member.containsNullCharacter
                )
            }
        } else {
            columns = nil
        }
    }
}

extension JSONValue {
    /// Whether any string in the value holds U+0000.
    fileprivate var containsNullCharacter: Bool {
        switch self {
        case .string(let text): text.utf8.contains(0)
        case .array(let elements): elements.contains { $0.containsNullCharacter }
        case .object(let members): members.contains { $0.key.utf8.contains(0) || $0.value.containsNullCharacter }
        case .null, .bool, .integer, .double: false
        }
    }
}
