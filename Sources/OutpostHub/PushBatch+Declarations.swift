import OutpostCore
import OutpostProtocol

extension PushBatch {
    /// A push's `declarations`: small beside its rows, so read as a value and decoded by the wire
    /// type the node encodes with (one codec per message).
    static func readDeclarations(_ parser: inout JSONParser) throws -> [String: TableDeclaration] {
        try TableDeclaration.tables(json: try parser.readValue(depth: 1), path: "declarations")
    }
}
