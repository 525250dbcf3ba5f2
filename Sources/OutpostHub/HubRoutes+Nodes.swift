import Hummingbird
import OutpostCore
import OutpostProtocol

/// `GET /v1/nodes`: the tenant's nodes by id and name, the caller marked, so a node can say
/// who wrote a row (`outpost conflicts show`) instead of showing a bare id. Names are labels
/// the operator gave; cursors, contact times and tokens stay with the operator.
extension HubRoutes {
    func registerNodeRoutes(on group: RouterGroup<HubRequestContext>) {
        group.get("nodes") { request, context in try await nodes(request, context: context) }
        group.post("status") { request, context in try await status(request, context: context) }
    }

    /// `POST /v1/status`: the node's release and queue (``NodeReport``), kept for the dashboard.
    private func status(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        let body = try await codec.bytes(from: request)
        let report: NodeReport
        do {
            report = try NodeReport(
                json: try JSONValue(parsing: String(decoding: body.readableBytesView, as: UTF8.self))
            )
        } catch let error as WireError {
            throw HubError.invalid("invalid_body", error.description)
        } catch let error as OutpostError {
            throw HubError.invalid("invalid_json", error.message)
        }
        try await storage.recordReport(nodeID: node.id, report: report)
        return Response(status: .noContent)
    }

    private func nodes(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        let names = try await storage.nodeNames(tenantID: node.tenantID)
        let body: JSONValue = [
            "nodes": .array(
                names.map { ["id": .string($0.id), "name": .string($0.name), "self": .bool($0.id == node.id)] }
            )
        ]
        return try codec.response(body: body.encoded(), for: request)
    }
}
