import Hummingbird
import OutpostCore
import OutpostProtocol

/// `GET /v1/rules`: the tenant's conflict rules, which every node merges by (over its own
/// for the tables the tenant leaves unset). `{"rules": null}` when the tenant has none.
extension HubRoutes {
    func registerRulesRoute(on group: RouterGroup<HubRequestContext>) {
        group.get("rules") { request, context in try await rules(request, context: context) }
    }

    private func rules(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        // Checked as a rules file when it was set; sent as the text it was stored as.
        let text = try await storage.tenantRules(tenantID: node.tenantID)
        return try codec.response(body: #"{"rules":\#(text ?? "null")}"#, for: request)
    }
}
