import Hummingbird
import OutpostCore

/// `GET /v1/nodes`: the tenant's nodes by id and name, the caller marked, so a node can say
/// who wrote a row (`outpost conflicts show`) instead of showing a bare id. Names are labels
/// the operator gave; cursors, contact times and tokens stay with the operator.
extension HubRoutes {
    func registerNodeRoutes(on group: RouterGroup<HubRequestContext>) {
        group.get("nodes") { request, context in try await nodes(request, context: context) }
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
