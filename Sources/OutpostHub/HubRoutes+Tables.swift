import Hummingbird
import OutpostCore
import OutpostProtocol

/// `GET /v1/tables`: the tenant's table declarations, so a node can add the columns it lacks
/// or create a table it does not have yet. Authenticated like a pull and scoped to the token's
/// tenant; its size follows the tenant's schema, which pushes bound (a declaration lists at most
/// ``BatchValidator/maximumDeclaredColumns`` columns).
extension HubRoutes {
    func registerTableRoutes(on group: RouterGroup<HubRequestContext>) {
        group.get("tables") { request, context in try await tables(request, context: context) }
    }

    private func tables(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        let tables = try await storage.declarations(tenantID: node.tenantID)
        let body: JSONValue = ["tables": .object(tables.mapValues(\.json))]
        return try codec.response(body: body.encoded(), for: request)
    }
}
