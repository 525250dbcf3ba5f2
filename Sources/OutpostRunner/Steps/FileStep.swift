import OutpostBlobs
public import OutpostCore
import OutpostSystem

/// `file`: puts a file into the node's file store or gets one out (files sync like rows).
///
/// Fields: `action` (`put` or `get`), `name` (the file's name in the store); for `put`, either
/// `path` (a local file to store) or `content` (text to store), and `priority`; for `get`,
/// `path` to write the content to, or none to return the content as text (up to 1 MiB); a get
/// of content kept on the hub only (evicted by the cache budget) fetches it first.
/// Output: `name`, `size`, `hash`, and `content` for a `get` without `path`.
public struct FileStep: StepExecutor {
    public let type = "file"
    public let fields: Set<String> = ["action", "name", "path", "content", "priority"]
    static let textLimit = 1 << 20

    public init() {}

    public func validate(_ step: StepDefinition, field: String) throws(OutpostError) {
        let action = try requireString(step, "action", field: field)
        _ = try requireString(step, "name", field: field)
        for name in ["path", "content"] where step[name] != nil && step[name]?.stringValue == nil {
            throw WorkflowDefinition.invalid("\(field).\(name)", "must be text")
        }
        switch action {
        case "put":
            guard (step["path"] == nil) != (step["content"] == nil) else {
                throw WorkflowDefinition.invalid(field, "a file put needs either path or content, not both")
            }
        case "get":
            if step["content"] != nil { throw WorkflowDefinition.invalid("\(field).content", "only a put has content") }
        default:
            throw WorkflowDefinition.invalid("\(field).action", "must be \"put\" or \"get\", not '\(action)'")
        }
        if let priority = step["priority"] {
            guard case .integer(let value) = priority, (1...10).contains(value) else {
                throw WorkflowDefinition.invalid("\(field).priority", "must be a whole number from 1 to 10")
            }
        }
    }

    public func run(_ fields: [String: JSONValue], context: StepContext) async throws -> JSONValue {
        guard let files = context.files else { throw StepFailure("this runner has no file store") }
        guard let name = fields["name"]?.stringValue else { throw StepFailure("name is missing") }
        let path = fields["path"]?.stringValue
        if fields["action"]?.stringValue == "put" {
            let priority =
                fields["priority"].flatMap { if case .integer(let value) = $0 { Int(value) } else { nil } } ?? 5
            let content = fields["content"]?.stringValue
            let stored = try await DedicatedThread.run {
                if let path {
                    try files.put(contentsOf: path, as: name, priority: priority)
                } else {
                    try files.put(Array((content ?? "").utf8), as: name, priority: priority)
                }
            }
            return ["name": .string(stored.name), "size": .integer(Int64(stored.size)), "hash": .string(stored.hash)]
        }
        // Content the budget evicted, or never fetched here, comes from the hub first.
        if let fetchFile = context.fetchFile, let file = try files.file(named: name), file.content != "local",
            file.trashedAt == nil
        {
            try await fetchFile(name)
        }
        if let path {
            let stored = try await DedicatedThread.run { try files.get(name, to: path) }
            return ["name": .string(stored.name), "size": .integer(Int64(stored.size)), "hash": .string(stored.hash)]
        }
        let bytes = try await DedicatedThread.run { try files.contents(of: name) }
        guard bytes.count <= Self.textLimit else {
            throw StepFailure("'\(name)' is \(bytes.count) bytes; give a path to get a file larger than 1 MiB")
        }
        return [
            "name": .string(name), "size": .integer(Int64(bytes.count)),
            "content": .string(String(decoding: bytes, as: UTF8.self)),
        ]
    }
}
