public import OutpostCore

// A table declaration on the wire, in a push's `declarations` and in `GET /v1/tables`:
// {"columns": [{"name": "id", "type": "TEXT"}, …], "primary_key": ["id"]}

extension TableDeclaration {
    /// Reads one declaration; a column's `type` may be null (the hub was never told it).
    public init(json: JSONValue, path: String) throws(WireError) {
        let reader = try WireReader(json, path: path)
        var columns: [Column] = []
        for (index, column) in try reader.array("columns").enumerated() {
            let entry = try WireReader(column, path: "\(reader.place("columns"))[\(index)]")
            let type: String?
            switch entry.members["type"] {
            case .string(let text)?: type = text
            case nil, .null?: type = nil
            default: throw WireError(path: entry.place("type"), expected: "a string")
            }
            columns.append(Column(name: try entry.string("name"), type: type))
        }
        var primaryKey: [String] = []
        for (index, name) in try reader.array("primary_key").enumerated() {
            guard case .string(let name) = name else {
                throw WireError(path: "\(reader.place("primary_key"))[\(index)]", expected: "a string")
            }
            primaryKey.append(name)
        }
        self.init(columns: columns, primaryKey: primaryKey)
    }

    public var json: JSONValue {
        [
            "columns": .array(
                columns.map { ["name": .string($0.name), "type": $0.type.map(JSONValue.string) ?? .null] }
            ),
            "primary_key": .array(primaryKey.map(JSONValue.string)),
        ]
    }

    /// Declarations by table, from an object of them (`nil` or null: none).
    public static func tables(json: JSONValue?, path: String) throws(WireError) -> [String: TableDeclaration] {
        guard let json, json != .null else { return [:] }
        let reader = try WireReader(json, path: path)
        var tables: [String: TableDeclaration] = [:]
        for (table, declaration) in reader.members {
            tables[table] = try TableDeclaration(json: declaration, path: reader.place(table))
        }
        return tables
    }

    /// `GET /v1/tables`'s answer: `{"tables": {…}}`.
    public static func tablesAnswer(json: JSONValue) throws(WireError) -> [String: TableDeclaration] {
        let reader = try WireReader(json)
        guard let tables = reader.members["tables"], case .object = tables else {
            throw WireError(path: "tables", expected: "an object")
        }
        return try Self.tables(json: tables, path: "tables")
    }
}
