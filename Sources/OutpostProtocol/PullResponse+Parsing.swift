import OutpostCore

extension PullResponse {
    /// Reads a pull answer in one pass, piece by piece, as strictly as ``JSONValue`` parses any
    /// document, without building a tree of the answer first: only each row's `data` becomes
    /// values, and its text is kept as ``HubRow/dataText``. Decodes what ``init(json:)`` decodes
    /// from the same text.
    ///
    /// - Throws: ``OutpostError`` for text that is not JSON, ``WireError`` for JSON of the wrong
    ///   shape, naming the member. The first problem in the text is the one reported.
    public init(parsing bytes: [UInt8]) throws {
        var parser = JSONParser(bytes)
        var rows: [HubRow]?
        var cursor: Int64?
        var more: Bool?
        var epoch: Int64?
        var head: Int64?
        var reader = WireObjectReader(path: "")
        try reader.begin(&parser)
        while let name = try reader.next(&parser) {
            switch name {
            case "rows": rows = try Self.readRows(&parser)
            case "cursor": cursor = try reader.integer(&parser, name)
            case "more": more = try reader.bool(&parser, name)
            case "epoch": epoch = try reader.optionalInteger(&parser, name)
            case "head": head = try reader.optionalInteger(&parser, name)
            default: _ = try parser.skipValue(depth: 1)
            }
        }
        try parser.finish()
        guard let rows else { throw WireError(path: "rows", expected: "an array") }
        guard let cursor else { throw WireError(path: "cursor", expected: "an integer") }
        guard let more else { throw WireError(path: "more", expected: "true or false") }
        self.init(rows: rows, cursor: cursor, more: more, epoch: epoch, head: head)
    }

    private static func readRows(_ parser: inout JSONParser) throws -> [HubRow] {
        guard try parser.peekKind() == .array else { throw WireError(path: "rows", expected: "an array") }
        parser.beginArray()
        var rows: [HubRow] = []
        var first = true
        while try parser.nextElement(first: &first) {
            rows.append(try readRow(&parser, path: "rows[\(rows.count)]"))
        }
        return rows
    }

    private static func readRow(_ parser: inout JSONParser, path: String) throws -> HubRow {
        var table: String?
        var key: String?
        var version: Int64?
        var data: JSONValue?
        var dataText: String?
        var deleted: Bool?
        var hlc: Int64?
        var origin: String?
        var sequence: Int64?
        var left: Bool?
        var changeID: String?
        var reader = WireObjectReader(path: path)
        try reader.begin(&parser)
        while let name = try reader.next(&parser) {
            switch name {
            case "table": table = try reader.string(&parser, name)
            case "key": key = try reader.string(&parser, name)
            case "version": version = try reader.integer(&parser, name)
            case "data":
                switch try parser.peekKind() {
                case .null: _ = try parser.readValue()
                case .object:
                    let start = parser.offset
                    data = try parser.readValue(depth: 3)
                    dataText = parser.text(start..<parser.offset)
                default: throw WireError(path: reader.place(name), expected: "an object or null")
                }
            case "deleted": deleted = try reader.bool(&parser, name)
            case "hlc": hlc = try reader.integer(&parser, name)
            case "origin": origin = try reader.string(&parser, name)
            case "sequence": sequence = try reader.integer(&parser, name)
            case "left": left = try reader.optionalBool(&parser, name)
            case "change_id": changeID = try parser.readValue(depth: 3).stringValue
            default: _ = try parser.skipValue(depth: 3)
            }
        }
        // The same order of complaints as `HubRow(json:)`.
        guard let table else { throw WireError(path: reader.place("table"), expected: "a string") }
        guard let key else { throw WireError(path: reader.place("key"), expected: "a string") }
        guard let version else { throw WireError(path: reader.place("version"), expected: "an integer") }
        guard let deleted else { throw WireError(path: reader.place("deleted"), expected: "true or false") }
        guard let hlc else { throw WireError(path: reader.place("hlc"), expected: "an integer") }
        guard let origin else { throw WireError(path: reader.place("origin"), expected: "a string") }
        guard let sequence else { throw WireError(path: reader.place("sequence"), expected: "an integer") }
        return HubRow(
            table: table,
            key: key,
            version: version,
            data: data,
            deleted: deleted,
            hlc: hlc,
            origin: origin,
            sequence: sequence,
            left: left ?? false,
            changeID: changeID,
            dataText: dataText
        )
    }
}
