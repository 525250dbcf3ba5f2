import Foundation
public import GRDB
public import OutpostCore

extension JSONValue {
    /// A database row as a JSON object, column by column (blobs become base64 strings).
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
        case .blob(let data): self = .string(data.base64EncodedString())
        }
    }

    /// The value as it is written to a column: objects and arrays as their JSON text, booleans
    /// as 1 or 0, the rest as themselves.
    package var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .bool(let flag): (flag ? 1 : 0).databaseValue
        case .integer(let integer): integer.databaseValue
        case .double(let double): double.databaseValue
        case .string(let string): string.databaseValue
        case .array, .object: encoded().databaseValue
        }
    }

    /// A JSON column's text parsed, or the raw text as a string when another client stored
    /// something that is not JSON (shown as it is rather than hidden).
    static func column(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return (try? JSONValue(parsing: text)) ?? .string(text)
    }
}
