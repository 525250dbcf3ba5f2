public import OutpostCore
public import OutpostStore

/// One workspace file, read and checked: what `apply` loads into the store.
///
/// A definition file is a JSON object. Agents have `id`, `name`, `type`, optional `status` and
/// `config` (an object); workflows `id`, `name`, optional `status`, `agent_id` and `definition`
/// (an object); a config is any object. The `id` must be the file's name; unknown members are
/// refused, so a typo is not silently dropped.
public struct Definition: Sendable, Equatable {
    public var kind: ItemKind
    /// The item's id (agents, workflows) or name (configs), the file's name without `.json`.
    public var name: String
    /// The file's content, parsed.
    public var value: JSONValue

    /// The members each kind allows, and those it requires.
    static let allowed: [ItemKind: Set<String>] = [
        .agent: ["id", "name", "type", "status", "config"],
        .workflow: ["id", "name", "status", "agent_id", "definition"],
    ]
    static let required: [ItemKind: [String]] = [.agent: ["id", "name", "type"], .workflow: ["id", "name"]]

    /// Parses and checks the file at relative `path` whose content is `bytes`.
    ///
    /// - Throws: ``OutpostError`` `.invalidJSON` or `.invalidInput`, its message starting with
    ///   `PATH:LINE:` and saying why; `details` carry `path` and `line` (and `column` for JSON).
    public init(path: String, bytes: [UInt8]) throws(OutpostError) {
        guard case let (kind, name)? = ItemKind.parse(path: path) else {
            throw OutpostError(
                .invalidInput,
                "\(path):1: not a definition file name; use agents/ID.json, workflows/ID.json or configs/NAME.json "
                    + "with letters, digits, '.', '_' and '-'.",
                details: ["path": path, "line": "1"]
            )
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            let line = error.details["line"] ?? "1"
            throw OutpostError(
                .invalidJSON,
                "\(path):\(line): \(error.message)",
                details: error.details.merging(["path": path, "line": line]) { $1 }
            )
        }
        self.kind = kind
        self.name = name
        self.value = value
        try check(bytes: bytes)
    }

    /// The file for `agent`: its definition only (no version, timestamps or sync bookkeeping,
    /// which differ between nodes and would make every diff noisy).
    public init(agent: Agent) {
        kind = .agent
        name = agent.id
        var members: [String: JSONValue] = [
            "id": .string(agent.id), "name": .string(agent.name), "type": .string(agent.type),
            "status": .string(agent.status),
        ]
        if let config = agent.config, config != .null { members["config"] = config }
        value = .object(members)
    }

    /// The file for `workflow`; see ``init(agent:)``.
    public init(workflow: Workflow) {
        kind = .workflow
        name = workflow.id
        var members: [String: JSONValue] = [
            "id": .string(workflow.id), "name": .string(workflow.name), "status": .string(workflow.status),
        ]
        if let agentID = workflow.agentID { members["agent_id"] = .string(agentID) }
        if let definition = workflow.definition, definition != .null { members["definition"] = definition }
        value = .object(members)
    }

    /// The item's relative path.
    public var path: String { kind.path(of: name) }

    /// The file's canonical text: keys sorted, two-space indentation, a trailing newline.
    public var text: String { value.encoded(.pretty) }

    private func check(bytes: [UInt8]) throws(OutpostError) {
        guard case .object(let members) = value else {
            throw failure("must be a JSON object ({…}), not a \(value.typeName)", at: 1)
        }
        guard let allowed = Self.allowed[kind] else { return }
        for member in members.keys.sorted() where !allowed.contains(member) {
            throw failure(
                "unknown member '\(member)'; a \(kind.rawValue) has \(allowed.sorted().joined(separator: ", "))",
                at: Self.line(of: member, in: bytes)
            )
        }
        for member in Self.required[kind] ?? [] where members[member] == nil {
            throw failure("the \(kind.rawValue) has no '\(member)'", at: 1)
        }
        for (member, content) in members.sorted(by: { $0.key < $1.key }) {
            let line = Self.line(of: member, in: bytes)
            switch member {
            case "config", "definition":
                guard case .object = content else {
                    guard content == .null else {
                        throw failure("'\(member)' must be a JSON object or null, not a \(content.typeName)", at: line)
                    }
                    continue
                }
            case "agent_id":
                guard content == .null || content.stringValue != nil else {
                    throw failure("'agent_id' must be a string or null, not a \(content.typeName)", at: line)
                }
            default:
                guard let text = content.stringValue else {
                    throw failure("'\(member)' must be a string, not a \(content.typeName)", at: line)
                }
                do {
                    try Store.validateText(text, field: member, maximumLength: member == "name" ? 500 : 200)
                } catch {
                    throw failure(error.message.prefix { $0 != "." }.lowercased(), at: line)
                }
            }
        }
        if members["id"]?.stringValue != name {
            throw failure(
                "the id '\(members["id"]?.stringValue ?? "")' is not the file's name '\(name)'; rename the file or fix the id",
                at: Self.line(of: "id", in: bytes)
            )
        }
    }

    private func failure(_ reason: String, at line: Int) -> OutpostError {
        OutpostError(.invalidInput, "\(path):\(line): \(reason).", details: ["path": path, "line": "\(line)"])
    }

    /// The line of the first `"member":` in the text (1 when it is not there): where a person
    /// should look for a bad member.
    static func line(of member: String, in bytes: [UInt8]) -> Int {
        let needle = Array("\"\(member)\"".utf8)
        guard needle.count <= bytes.count else { return 1 }
        var line = 1
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
            } else if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle {
                var next = index + needle.count
                while next < bytes.count, bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t") {
                    next += 1
                }
                if next < bytes.count, bytes[next] == UInt8(ascii: ":") { return line }
            }
            index += 1
        }
        return 1
    }
}
