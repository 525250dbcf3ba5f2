package import Foundation
public import GRDB
public import OutpostCore

extension JSONValue {
    /// A database row as a JSON object, column by column (blobs as ``blob(_:)`` objects).
    public init(_ row: Row) {
        var members: [String: JSONValue] = [:]
        for (column, value) in row {
            members[column] = JSONValue(value)
        }
        self = .object(members)
    }

    /// One SQLite value as JSON.
    public init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .double(let double): self = .double(double)
        case .string(let string): self = .string(string)
        case .blob(let data): self = .blob(data)
        }
    }

    /// The member name that marks a BLOB: `{"$blob": "<base64>"}`.
    ///
    /// JSON has no bytes, and a base64 string would come back as TEXT; this one-member object is
    /// how a BLOB travels and is stored on the hub, so it arrives as a BLOB again. A TEXT column
    /// holding such JSON text is a JSON string on the wire, never this object.
    package static let blobMember = "$blob"

    /// A BLOB as it travels: `{"$blob": "<base64>"}` (an empty blob is `{"$blob": ""}`, not null).
    package static func blob(_ data: Data) -> JSONValue {
        .object([blobMember: .string(data.base64EncodedString())])
    }

    /// The bytes of a ``blob(_:)`` object; `nil` for any other value.
    package var blobData: Data? {
        guard case .object(let members) = self, members.count == 1, case .string(let text)? = members[Self.blobMember]
        else { return nil }
        return Data(base64Encoded: text)
    }

    /// The value as it is written to a column: a ``blob(_:)`` object as a BLOB, other objects and
    /// arrays as their JSON text, booleans as 1 or 0, the rest as themselves.
    package var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .bool(let flag): (flag ? 1 : 0).databaseValue
        case .integer(let integer): integer.databaseValue
        case .double(let double): double.databaseValue
        case .string(let string): string.databaseValue
        case .object:
            if let data = blobData { data.databaseValue } else { encoded().databaseValue }
        case .array: encoded().databaseValue
        }
    }

    /// A JSON column's text parsed, or the raw text as a string when another client stored
    /// something that is not JSON (shown as it is rather than hidden).
    static func column(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return (try? JSONValue(parsing: text)) ?? .string(text)
    }
}
