public import OutpostCore

// Conversions between the wire types and JSON values: what the hub and the nodes send.

extension Change {
    public init(json: JSONValue, path: String = "") throws(WireError) {
        let reader = try WireReader(json, path: path)
        let operationName = try reader.string("op")
        guard let operation = ChangeOperation(rawValue: operationName) else {
            throw WireError(path: reader.place("op"), expected: "\"upsert\" or \"delete\"")
        }
        self.init(
            id: try reader.string("id"),
            table: try reader.string("table"),
            key: try reader.string("key"),
            operation: operation,
            baseVersion: try reader.integer("base_version"),
            data: reader.members["data"].flatMap { $0 == .null ? nil : $0 },
            partial: try reader.bool("partial", default: false),
            hlc: try reader.integer("hlc")
        )
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id), "table": .string(table), "key": .string(key), "op": .string(operation.rawValue),
            "base_version": .integer(baseVersion), "hlc": .integer(hlc),
        ]
        if let data { members["data"] = data }
        if partial { members["partial"] = .bool(true) }
        return .object(members)
    }
}

extension PushRequest {
    public init(json: JSONValue) throws(WireError) {
        let reader = try WireReader(json)
        let changes = try reader.array("changes")
        var decoded: [Change] = []
        decoded.reserveCapacity(changes.count)
        for (index, change) in changes.enumerated() {
            decoded.append(try Change(json: change, path: "changes[\(index)]"))
        }
        var schemas: [String: [String]] = [:]
        if let declared = reader.members["schemas"], declared != .null {
            let tables = try WireReader(declared, path: "schemas")
            for (table, columns) in tables.members {
                guard case .array(let names) = columns else {
                    throw WireError(path: tables.place(table), expected: "an array of column names")
                }
                schemas[table] = try names.enumerated().map { index, name throws(WireError) in
                    guard case .string(let name) = name else {
                        throw WireError(path: "\(tables.place(table))[\(index)]", expected: "a string")
                    }
                    return name
                }
            }
        }
        self.init(batchID: try reader.string("batch_id"), changes: decoded, schemas: schemas)
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["batch_id": .string(batchID), "changes": .array(changes.map(\.json))]
        if !schemas.isEmpty {
            members["schemas"] = .object(schemas.mapValues { .array($0.map { .string($0) }) })
        }
        return .object(members)
    }
}

extension HubRow {
    public init(json: JSONValue, path: String = "") throws(WireError) {
        let reader = try WireReader(json, path: path)
        self.init(
            table: try reader.string("table"),
            key: try reader.string("key"),
            version: try reader.integer("version"),
            data: try reader.optionalObject("data"),
            deleted: try reader.bool("deleted"),
            hlc: try reader.integer("hlc"),
            origin: try reader.string("origin"),
            sequence: try reader.integer("sequence")
        )
    }

    public var json: JSONValue {
        [
            "table": .string(table), "key": .string(key), "version": .integer(version), "data": data ?? .null,
            "deleted": .bool(deleted), "hlc": .integer(hlc), "origin": .string(origin), "sequence": .integer(sequence),
        ]
    }
}

extension ChangeResult {
    public init(json: JSONValue, path: String = "") throws(WireError) {
        let reader = try WireReader(json, path: path)
        guard let status = Status(rawValue: try reader.string("status")) else {
            throw WireError(path: reader.place("status"), expected: "\"applied\" or \"conflict\"")
        }
        self.init(
            changeID: try reader.string("change_id"),
            status: status,
            version: try reader.integer("version"),
            sequence: try reader.optionalInteger("sequence"),
            current: try reader.optionalObject("current").map { value throws(WireError) in
                try HubRow(json: value, path: reader.place("current"))
            }
        )
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "change_id": .string(changeID), "status": .string(status.rawValue), "version": .integer(version),
        ]
        if let sequence { members["sequence"] = .integer(sequence) }
        if let current { members["current"] = current.json }
        return .object(members)
    }
}

extension PushResponse {
    public init(json: JSONValue) throws(WireError) {
        let reader = try WireReader(json)
        var results: [ChangeResult] = []
        for (index, result) in try reader.array("results").enumerated() {
            results.append(try ChangeResult(json: result, path: "results[\(index)]"))
        }
        self.init(results: results, sequence: try reader.integer("sequence"))
    }

    public var json: JSONValue {
        ["results": .array(results.map(\.json)), "sequence": .integer(sequence)]
    }
}

extension PullResponse {
    public init(json: JSONValue) throws(WireError) {
        let reader = try WireReader(json)
        var rows: [HubRow] = []
        for (index, row) in try reader.array("rows").enumerated() {
            rows.append(try HubRow(json: row, path: "rows[\(index)]"))
        }
        self.init(rows: rows, cursor: try reader.integer("cursor"), more: try reader.bool("more"))
    }

    public var json: JSONValue {
        ["rows": .array(rows.map(\.json)), "cursor": .integer(cursor), "more": .bool(more)]
    }
}
