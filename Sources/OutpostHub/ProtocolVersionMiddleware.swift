import HTTPTypes
import Hummingbird
import OutpostProtocol

/// Refuses a node whose protocol version this hub does not serve, before its token is even
/// looked at, with one message that says which side to upgrade; and marks every `/v1` answer
/// with the hub's own version, so a node can tell a hub too old or too new for it.
struct ProtocolVersionMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    static let headerName = HTTPField.Name(ProtocolVersion.header)!

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let sent = request.headers[Self.headerName]
        guard let version = ProtocolVersion.parse(sent), ProtocolVersion.served.contains(version) else {
            let range = "\(ProtocolVersion.served.lowerBound)–\(ProtocolVersion.served.upperBound)"
            let upgrade =
                (ProtocolVersion.parse(sent) ?? 0) > ProtocolVersion.served.upperBound
                ? "the hub is older than the node: upgrade the hub first"
                : "the node is older than the hub serves: upgrade the node"
            throw HubError(
                .badRequest,
                code: ProtocolErrorCode.unsupportedProtocol,
                "This hub serves Outpost protocol versions \(range); the node sent \(sent ?? "none"), so \(upgrade).",
                headers: [Self.headerName: "\(ProtocolVersion.current)"]
            )
        }
        var response = try await next(request, context)
        response.headers[Self.headerName] = "\(ProtocolVersion.current)"
        return response
    }
}
