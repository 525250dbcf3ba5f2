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
            hlc: try reader.integer("hlc"),
            origin: reader.members["origin"]?.stringValue,
            priority: try reader.optionalInteger("priority").map { Int(clamping: $0) }
        )
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id), "table": .string(table), "key": .string(key), "op": .string(operation.rawValue),
            "base_version": .integer(baseVersion), "hlc": .integer(hlc),
        ]
        if let data { members["data"] = data }
        if partial { members["partial"] = .bool(true) }
        if let origin { members["origin"] = .string(origin) }
        if let priority { members["priority"] = .integer(Int64(priority)) }
        return .object(members)
    }
}

extension Change {
    /// ``json`` as JSON text, written directly, with ``data`` given as its text (`dataText`,
    /// which is `data?.encoded()`): a node encodes a change's data once and uses that text for
    /// the change it sends and for the base it records once the hub confirms it. Byte for byte
    /// what `json.encoded()` writes (members in key order).
    public func encoded(dataText: String?) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(160 + (dataText?.utf8.count ?? 0))
        output.append(contentsOf: #"{"base_version":\#(baseVersion)"#.utf8)
        if let dataText {
            output.append(contentsOf: #","data":"#.utf8)
            output.append(contentsOf: dataText.utf8)
        }
        output.append(contentsOf: #","hlc":\#(hlc),"id":"#.utf8)
        JSONValue.appendQuoted(id, to: &output)
        output.append(contentsOf: #","key":"#.utf8)
        JSONValue.appendQuoted(key, to: &output)
        output.append(contentsOf: #","op":"#.utf8)
        JSONValue.appendQuoted(operation.rawValue, to: &output)
        if let origin {
            output.append(contentsOf: #","origin":"#.utf8)
            JSONValue.appendQuoted(origin, to: &output)
        }
        if partial { output.append(contentsOf: #","partial":true"#.utf8) }
        if let priority { output.append(contentsOf: #","priority":\#(priority)"#.utf8) }
        output.append(contentsOf: #","table":"#.utf8)
        JSONValue.appendQuoted(table, to: &output)
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
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
        self.init(
            batchID: try reader.string("batch_id"),
            changes: decoded,
            schemas: schemas,
            declarations: try TableDeclaration.tables(json: reader.members["declarations"], path: "declarations")
        )
    }

    public var json: JSONValue {
        var members = membersBesideChanges
        members["changes"] = .array(changes.map(\.json))
        return .object(members)
    }

    /// The request as JSON text, given each change's text (`encodedChanges[i]` is
    /// `changes[i].json.encoded()`): a node encodes a change once, for the outbox's record of
    /// what it sent, and the request reuses that text instead of encoding every change again.
    public func encoded(changes encodedChanges: [String]) -> String {
        precondition(encodedChanges.count == changes.count, "one encoded text per change")
        // `batch_id` is always there, so the rest is an object with at least one member.
        let rest = JSONValue.object(membersBesideChanges).encoded()
        var text = "{\"changes\":["
        text.reserveCapacity(encodedChanges.reduce(rest.utf8.count + 16) { $0 + $1.utf8.count + 1 })
        for (index, change) in encodedChanges.enumerated() {
            if index > 0 { text += "," }
            text += change
        }
        text += "],"
        text += rest.dropFirst()
        return text
    }

    private var membersBesideChanges: [String: JSONValue] {
        var members: [String: JSONValue] = ["batch_id": .string(batchID)]
        if !schemas.isEmpty {
            members["schemas"] = .object(schemas.mapValues { .array($0.map { .string($0) }) })
        }
        if !declarations.isEmpty {
            members["declarations"] = .object(declarations.mapValues(\.json))
        }
        return members
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
            sequence: try reader.integer("sequence"),
            left: try reader.bool("left", default: false),
            changeID: reader.members["change_id"]?.stringValue
        )
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "table": .string(table), "key": .string(key), "version": .integer(version), "data": data ?? .null,
            "deleted": .bool(deleted), "hlc": .integer(hlc), "origin": .string(origin), "sequence": .integer(sequence),
        ]
        if left { members["left"] = true }
        return .object(members)
    }
}

extension PushResponse {
    /// Decodes the hub's answer to a push of `changes` (results come by position; see the type).
    public init(json: JSONValue, changes: [Change]) throws(WireError) {
        let reader = try WireReader(json)
        let entries = try reader.array("results")
        guard entries.count == changes.count else {
            throw WireError(path: "results", expected: "one result per change sent (\(changes.count))")
        }
        var results: [ChangeResult] = []
        results.reserveCapacity(entries.count)
        for (index, (change, entry)) in zip(changes, entries).enumerated() {
            let place = "results[\(index)]"
            if case .array(let pair) = entry {
                guard pair.count == 2, case .integer(let version) = pair[0] else {
                    throw WireError(path: place, expected: "[version, sequence] or a conflict object")
                }
                let sequence: Int64?
                switch pair[1] {
                case .integer(let value): sequence = value
                case .null: sequence = nil
                default: throw WireError(path: "\(place)[1]", expected: "an integer or null")
                }
                results.append(
                    ChangeResult(changeID: change.id, status: .applied, version: version, sequence: sequence)
                )
            } else {
                let conflict = try WireReader(entry, path: place)
                let status = try conflict.string("status")
                if status == ChangeResult.Status.refused.rawValue {
                    let refusal = ChangeResult.Refusal(
                        code: try conflict.string("code"),
                        reason: try conflict.string("reason")
                    )
                    results.append(.refused(changeID: change.id, refusal))
                    continue
                }
                guard status == ChangeResult.Status.conflict.rawValue else {
                    throw WireError(path: conflict.place("status"), expected: "\"conflict\" or \"refused\"")
                }
                results.append(
                    ChangeResult(
                        changeID: change.id,
                        status: .conflict,
                        version: try conflict.integer("version"),
                        current: try conflict.optionalObject("current").map { value throws(WireError) in
                            try HubRow(json: value, path: conflict.place("current"))
                        }
                    )
                )
            }
        }
        self.init(results: results, sequence: try reader.integer("sequence"))
    }

    public var json: JSONValue {
        let entries: [JSONValue] = results.map { result in
            switch result.status {
            case .applied:
                [.integer(result.version), result.sequence.map(JSONValue.integer) ?? .null]
            case .conflict:
                ["status": "conflict", "version": .integer(result.version), "current": result.current?.json ?? .null]
            case .refused:
                [
                    "status": "refused", "code": .string(result.refusal?.code ?? ""),
                    "reason": .string(result.refusal?.reason ?? ""),
                ]
            }
        }
        return ["results": .array(entries), "sequence": .integer(sequence)]
    }
}

extension PullResponse {
    public init(json: JSONValue) throws(WireError) {
        let reader = try WireReader(json)
        var rows: [HubRow] = []
        for (index, row) in try reader.array("rows").enumerated() {
            rows.append(try HubRow(json: row, path: "rows[\(index)]"))
        }
        self.init(
            rows: rows,
            cursor: try reader.integer("cursor"),
            more: try reader.bool("more"),
            epoch: try reader.optionalInteger("epoch"),
            head: try reader.optionalInteger("head")
        )
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "rows": .array(rows.map(\.json)), "cursor": .integer(cursor), "more": .bool(more),
        ]
        if let epoch { members["epoch"] = .integer(epoch) }
        if let head { members["head"] = .integer(head) }
        return .object(members)
    }
}
