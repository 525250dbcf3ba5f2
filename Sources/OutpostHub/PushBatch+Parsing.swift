import OutpostCore
import OutpostProtocol

extension PushBatch {
    /// Reads a push body in one pass (see ``PushBatch``), as strictly as the hub's JSON parser
    /// reads any document.
    ///
    /// - Throws: ``HubError`` 400 `invalid_json` for text that is not JSON, `invalid_body` for
    ///   JSON of the wrong shape (naming the member, as ``WireError`` does). The first problem
    ///   found in the body is the one reported.
    init(parsing bytes: [UInt8]) throws(HubError) {
        var parser = JSONParser(bytes)
        do {
            self = try Self.read(&parser)
            try parser.finish()
        } catch let error as OutpostError {
            throw .invalid("invalid_json", "The body is not valid JSON: \(error.message)")
        } catch let error as WireError {
            throw .invalid("invalid_body", error.description)
        } catch {
            throw .invalid("invalid_body", "\(error)")
        }
    }

    private static func read(_ parser: inout JSONParser) throws -> PushBatch {
        var batchID: String?
        var changes: [PushedChange]?
        var schemas: [String: [String]] = [:]
        var declarations: [String: TableDeclaration] = [:]
        var reader = WireObjectReader(path: "")
        try reader.begin(&parser)
        while let name = try reader.next(&parser) {
            switch name {
            case "batch_id": batchID = try reader.string(&parser, name)
            case "changes": changes = try readChanges(&parser)
            case "schemas": schemas = try readSchemas(&parser)
            case "declarations": declarations = try readDeclarations(&parser)
            default: _ = try parser.skipValue(depth: 1)
            }
        }
        guard let changes else { throw WireError(path: "changes", expected: "an array") }
        guard let batchID else { throw WireError(path: "batch_id", expected: "a string") }
        return PushBatch(batchID: batchID, changes: changes, schemas: schemas, declarations: declarations)
    }

    private static func readChanges(_ parser: inout JSONParser) throws -> [PushedChange] {
        guard try parser.peekKind() == .array else { throw WireError(path: "changes", expected: "an array") }
        parser.beginArray()
        var changes: [PushedChange] = []
        var first = true
        while try parser.nextElement(first: &first) {
            changes.append(try readChange(&parser, path: "changes[\(changes.count)]"))
        }
        return changes
    }

    private static func readChange(_ parser: inout JSONParser, path: String) throws -> PushedChange {
        var id: String?
        var table: String?
        var key: String?
        var operation: String?
        var baseVersion: Int64?
        var hlc: Int64?
        var partial: Bool?
        var data: RowData?
        var origin: String?
        var priority: Int64?
        var reader = WireObjectReader(path: path)
        try reader.begin(&parser)
        while let name = try reader.next(&parser) {
            switch name {
            case "id": id = try reader.string(&parser, name)
            case "table": table = try reader.string(&parser, name)
            case "key": key = try reader.string(&parser, name)
            case "op": operation = try reader.string(&parser, name)
            case "base_version": baseVersion = try reader.integer(&parser, name)
            case "hlc": hlc = try reader.integer(&parser, name)
            case "partial": partial = try reader.optionalBool(&parser, name)
            case "data": data = try readData(&parser)
            case "origin": origin = try reader.string(&parser, name)
            case "priority": priority = try reader.optionalInteger(&parser, name)
            default: _ = try parser.skipValue(depth: 3)
            }
        }
        // The same order of complaints as `Change(json:)`.
        guard let operation else { throw WireError(path: reader.place("op"), expected: "a string") }
        guard let parsedOperation = ChangeOperation(rawValue: operation) else {
            throw WireError(path: reader.place("op"), expected: "\"upsert\" or \"delete\"")
        }
        guard let id else { throw WireError(path: reader.place("id"), expected: "a string") }
        guard let table else { throw WireError(path: reader.place("table"), expected: "a string") }
        guard let key else { throw WireError(path: reader.place("key"), expected: "a string") }
        guard let baseVersion else { throw WireError(path: reader.place("base_version"), expected: "an integer") }
        guard let hlc else { throw WireError(path: reader.place("hlc"), expected: "an integer") }
        return PushedChange(
            id: id,
            table: table,
            key: key,
            operation: parsedOperation,
            baseVersion: baseVersion,
            data: data,
            partial: partial ?? false,
            hlc: hlc,
            origin: origin,
            priority: priority.map { Int(clamping: $0) }
        )
    }

    /// A change's `data`: `nil` for null, else its text, with the columns when it is an object.
    private static func readData(_ parser: inout JSONParser) throws -> RowData? {
        switch try parser.peekKind() {
        case .null:
            _ = try parser.readValue()
            return nil
        case .object:
            let start = parser.offset
            var reader = WireObjectReader(path: "")
            try reader.begin(&parser)
            var columns: [RowData.Column] = []
            var containsUnusualNumber = false
            while let name = try reader.next(&parser) {
                let span = try parser.skipValue(depth: 4)
                containsUnusualNumber = containsUnusualNumber || span.containsUnusualNumber
                columns.append(
                    RowData.Column(
                        name: name,
                        byteCount: span.range.count,
                        containsNullCharacter: span.containsNullCharacter || name.utf8.contains(0)
                    )
                )
            }
            var text = parser.text(start..<parser.offset)
            if containsUnusualNumber {
                // PostgreSQL's numeric refuses 1e-20000 and 17,000 decimals (valid JSON): such a row
                // is stored as its values encode, doubles whose range PostgreSQL holds.
                text = try JSONValue(parsing: text).encoded()
            }
            return RowData(text: text, columns: columns)
        default:
            let span = try parser.skipValue(depth: 3)
            return RowData(text: parser.text(span.range), columns: nil)
        }
    }

    private static func readSchemas(_ parser: inout JSONParser) throws -> [String: [String]] {
        if try parser.peekKind() == .null {
            _ = try parser.readValue()
            return [:]
        }
        var schemas: [String: [String]] = [:]
        var reader = WireObjectReader(path: "schemas")
        try reader.begin(&parser)
        while let table = try reader.next(&parser) {
            let place = reader.place(table)
            guard try parser.peekKind() == .array else {
                throw WireError(path: place, expected: "an array of column names")
            }
            parser.beginArray()
            var columns: [String] = []
            var first = true
            while try parser.nextElement(first: &first) {
                guard case .string(let column) = try parser.readValue(depth: 3) else {
                    throw WireError(path: "\(place)[\(columns.count)]", expected: "a string")
                }
                columns.append(column)
            }
            schemas[table] = columns
        }
        return schemas
    }
}
