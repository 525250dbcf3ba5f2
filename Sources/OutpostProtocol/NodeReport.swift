public import OutpostCore

/// What a node tells the hub about itself (`POST /v1/status`), for the operator's dashboard:
/// its release and the state of its queue. The hub keeps the last report of each node.
///
/// On the wire: `{"version": "0.1.0", "pending": 3, "failed": 1, "parked": 0}`. `parked` counts
/// the node's conflicts that wait for a person.
public struct NodeReport: Sendable, Equatable {
    public var version: String
    public var pending: Int
    public var failed: Int
    public var parked: Int

    public init(version: String, pending: Int, failed: Int, parked: Int) {
        self.version = version
        self.pending = pending
        self.failed = failed
        self.parked = parked
    }

    public var json: JSONValue {
        [
            "version": .string(version), "pending": .integer(Int64(pending)), "failed": .integer(Int64(failed)),
            "parked": .integer(Int64(parked)),
        ]
    }

    /// Reads a report, refusing anything that is not one.
    ///
    /// - Throws: ``WireError`` naming the field that is missing or out of range.
    public init(json value: JSONValue) throws(WireError) {
        func count(_ name: String) throws(WireError) -> Int {
            guard case .integer(let number)? = value[name], (0...Int64(Int32.max)).contains(number) else {
                throw WireError(path: name, expected: "a count (a whole number from 0)")
            }
            return Int(number)
        }
        guard let version = value["version"]?.stringValue, (1...64).contains(version.utf8.count),
            version.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 })
        else {
            throw WireError(path: "version", expected: "1 to 64 printable ASCII characters")
        }
        self.init(
            version: version,
            pending: try count("pending"),
            failed: try count("failed"),
            parked: try count("parked")
        )
    }
}
