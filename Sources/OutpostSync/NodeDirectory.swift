public import OutpostCore

/// Who is who in the tenant, as the hub registered them: each node's hub id and name, and
/// which id is this node's. A row's stamp names its writer by hub id (or, for a change made
/// here and not yet pushed, by this node's store id); this turns either into a name.
public struct NodeDirectory: Sendable, Equatable {
    /// Names by hub id.
    public var names: [String: String]
    /// This node's id on the hub, when the hub said so.
    public var selfID: String?

    public init(names: [String: String] = [:], selfID: String? = nil) {
        self.names = names
        self.selfID = selfID
    }

    /// Reads the hub's `{"nodes": [{"id", "name", "self"}]}`.
    public init(json: JSONValue) throws(OutpostError) {
        guard case .array(let nodes)? = json["nodes"] else {
            throw OutpostError(.invalidJSON, "The hub's node list has no \"nodes\" array.")
        }
        var names: [String: String] = [:]
        var selfID: String?
        for node in nodes {
            guard let id = node["id"]?.stringValue, let name = node["name"]?.stringValue else { continue }
            names[id] = name
            if node["self"] == true { selfID = id }
        }
        self.init(names: names, selfID: selfID)
    }

    /// How to name the writer `origin`: "this node" for this node's own ids (its store id, or
    /// its hub id), the registered name and id for another node, or the bare id when unknown.
    public func describe(origin: String, localStoreID: String) -> String {
        if origin == localStoreID || origin == selfID {
            return "this node" + (selfID.flatMap { names[$0] }.map { " (\($0))" } ?? "")
        }
        if let name = names[origin] { return "\(name) (\(origin))" }
        return "node \(origin)"
    }

    /// The directory as JSON, to keep in the store between syncs.
    public var json: JSONValue {
        [
            "names": .object(names.mapValues(JSONValue.string)),
            "self": selfID.map(JSONValue.string) ?? .null,
        ]
    }

    /// A directory kept with ``json``; empty when `value` is not one.
    public init(stored value: JSONValue?) {
        var names: [String: String] = [:]
        if case .object(let members)? = value?["names"] {
            for (id, name) in members { if let name = name.stringValue { names[id] = name } }
        }
        self.init(names: names, selfID: value?["self"]?.stringValue)
    }
}
