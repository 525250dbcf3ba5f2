import Hummingbird
import OutpostCore
import OutpostProtocol

/// `POST /v1/digest`: what `outpost verify` compares a node's table with.
extension HubRoutes {
    /// Bounds that keep one digest to one scan of one table and a small answer.
    static let maximumDigestColumns = 2_000
    static let maximumDigestBuckets = 4_096
    static let maximumDigestRows = 1_000

    func registerDigestRoute(on group: RouterGroup<HubRequestContext>) {
        group.post("digest") { request, context in try await digest(request, context: context) }
    }

    private func digest(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        let asked = try await codec.decode(from: request, as: DigestRequest.init(json:))
        try BatchValidator.checkIdentifier(asked.table, what: "table")
        guard asked.columns.count <= Self.maximumDigestColumns else {
            throw HubError.invalid(
                "invalid_body",
                "columns names \(asked.columns.count) columns; at most \(Self.maximumDigestColumns) are allowed."
            )
        }
        for column in asked.columns { try BatchValidator.checkIdentifier(column, what: "column") }
        guard (1...Self.maximumDigestBuckets).contains(asked.buckets) else {
            throw HubError.invalid("invalid_body", "buckets must be from 1 to \(Self.maximumDigestBuckets).")
        }
        guard (0...Self.maximumDigestRows).contains(asked.rowsUpTo) else {
            throw HubError.invalid("invalid_body", "rows_up_to must be from 0 to \(Self.maximumDigestRows).")
        }
        let answer = try await storage.digest(asked, tenantID: node.tenantID, scope: node.scope)
        return try codec.response(body: answer.json.encoded(), for: request)
    }
}
