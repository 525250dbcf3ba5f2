public import Hummingbird
import Logging
import NIOCore

/// The per-request context: Hummingbird's core storage plus the node the request came from.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware on `/v1` routes.
    var node: AuthenticatedNode?
    /// Bodies are collected by ``BodyCodec`` against the hub's own limit instead.
    public var maxUploadSize: Int { .max }

    public init(source: Source) {
        coreContext = .init(source: source)
        node = nil
    }

    func requireNode() throws -> AuthenticatedNode {
        guard let node else {
            throw HubError(.unauthorized, code: "unauthenticated", "This route needs a node token.")
        }
        return node
    }
}
