import OutpostCore

/// How both backends keep a declared primary key: a JSON array of column names.
extension TableDeclaration {
    var primaryKeyJSON: String { JSONValue.array(primaryKey.map(JSONValue.string)).encoded() }

    static func keyColumns(fromJSON text: String) -> [String] {
        guard case .array(let names)? = try? JSONValue(parsing: text) else { return [] }
        return names.compactMap(\.stringValue)
    }
}
