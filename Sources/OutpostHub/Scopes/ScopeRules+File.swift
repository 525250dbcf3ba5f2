public import OutpostCore

extension ScopeRules {
    /// Reads a scopes file (see ``ScopeRules``).
    ///
    /// - Throws: ``OutpostError`` `.invalidJSON` with line and column when the text is not JSON;
    ///   `.invalidInput` naming the offending path (`tables.readings.rows.equals`) and what to
    ///   write there. Unknown members are refused, so a misspelt `"row"` is not silently ignored.
    public init(parsing text: String) throws(OutpostError) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text)
        } catch {
            throw OutpostError(error.code, "Invalid scopes file. \(error.message)", details: error.details)
        }
        try self.init(json: document)
    }

    /// Reads a scopes document already parsed as JSON.
    public init(json document: JSONValue) throws(OutpostError) {
        let root = try Self.members(of: document, at: "", allowed: ["tables"])
        var tables: [String: Table] = [:]
        if let value = root["tables"] {
            let entries = try Self.members(of: value, at: "tables", allowed: nil)
            for name in entries.keys.sorted() {
                let path = "tables.\(name)"
                guard Self.isIdentifier(name) else {
                    throw Self.invalid(path, "a table name uses letters, digits and '_', starting with a letter or '_'")
                }
                tables[name] = try Self.table(entries[name]!, at: path)
            }
        }
        self.init(tables: tables)
    }

    /// The scopes as a document; ``init(json:)`` reads it back unchanged.
    public var json: JSONValue {
        var entries: [String: JSONValue] = [:]
        for (name, table) in tables {
            var entry: [String: JSONValue] = ["write": .string(table.write.rawValue)]
            switch table.rows {
            case .all: if table.write != .uploadOnly { entry["rows"] = "all" }
            case .none: entry["rows"] = "none"
            case .own: entry["rows"] = "own"
            case .equals(let column, let attribute):
                entry["rows"] = ["column": .string(column), "equals": .string("node.\(attribute)")]
            case .oneOf(let column, let attribute):
                entry["rows"] = ["column": .string(column), "in": .string("node.\(attribute)")]
            }
            entries[name] = .object(entry)
        }
        return ["tables": .object(entries)]
    }

    /// The text the hub keeps: keys sorted, stable, so equal scopes compare equal as text.
    public func encoded() -> String { json.encoded() }

    // MARK: Reading

    private static func table(_ value: JSONValue, at path: String) throws(OutpostError) -> Table {
        let members = try members(of: value, at: path, allowed: ["rows", "write"])
        var table = Table()
        if let write = members["write"] {
            guard case .string(let text) = write, let mode = Write(rawValue: text) else {
                let choices = Write.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw invalid("\(path).write", "write one of \(choices)")
            }
            table.write = mode
        }
        if let rows = members["rows"] {
            table.rows = try self.rows(rows, at: "\(path).rows")
            if table.write == .uploadOnly, table.rows != .all, table.rows != .none {
                throw invalid("\(path).rows", "an upload-only table sends no rows to nodes; leave \"rows\" out")
            }
        }
        return table
    }

    private static func rows(_ value: JSONValue, at path: String) throws(OutpostError) -> Rows {
        switch value {
        case .string("all"): return .all
        case .string("none"): return .none
        case .string("own"): return .own
        case .object:
            let members = try members(of: value, at: path, allowed: ["column", "equals", "in"])
            guard case .string(let column)? = members["column"] else {
                throw invalid("\(path).column", "name the column whose value decides which nodes get a row")
            }
            guard isIdentifier(column) else {
                throw invalid("\(path).column", "a column name uses letters, digits and '_'")
            }
            switch (members["equals"], members["in"]) {
            case (let equals?, nil):
                return .equals(column: column, attribute: try attribute(equals, at: "\(path).equals"))
            case (nil, let list?):
                return .oneOf(column: column, attribute: try attribute(list, at: "\(path).in"))
            default:
                throw invalid(path, "give either \"equals\" or \"in\" with a node attribute, such as \"node.site\"")
            }
        default:
            throw invalid(path, "write \"all\", \"none\", \"own\" or {\"column\": …, \"equals\": \"node.ATTRIBUTE\"}")
        }
    }

    private static func attribute(_ value: JSONValue, at path: String) throws(OutpostError) -> String {
        guard case .string(let text) = value, text.hasPrefix("node."),
            NodeAttributes.isValidName(String(text.dropFirst(5)))
        else {
            throw invalid(path, "name a node attribute as \"node.NAME\" (such as \"node.site\", or \"node.id\")")
        }
        return String(text.dropFirst(5))
    }

    private static func members(
        of value: JSONValue,
        at path: String,
        allowed: Set<String>?
    ) throws(OutpostError) -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw invalid(path.isEmpty ? "(top level)" : path, "expected an object")
        }
        if let allowed, let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            let place = path.isEmpty ? unknown : "\(path).\(unknown)"
            throw invalid(place, "unknown member; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
        return members
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63 else { return false }
        func letter(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
        }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }

    private static func invalid(_ path: String, _ message: String) -> OutpostError {
        OutpostError(.invalidInput, "Invalid scopes file at \(path): \(message).", details: ["path": path])
    }
}
