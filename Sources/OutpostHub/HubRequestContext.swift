public import Hummingbird
import Logging
import NIOCore

/// The per-request context: Hummingbird's core storage plus the node the request came from.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware on `/v1` routes.
    var node: AuthenticatedNode?
    /// The client's IP address (`unknown` when the channel has none, as in tests), which
    /// requests without a valid token are rate limited by.
    let clientAddress: String
    /// Bodies are collected by ``BodyCodec`` against the hub's own limit instead.
    public var maxUploadSize: Int { .max }

    public init(source: Source) {
        coreContext = .init(source: source)
        node = nil
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    func requireNode() throws -> AuthenticatedNode {
        guard let node else {
            throw HubError(.unauthorized, code: "unauthenticated", "This route needs a node token.")
        }
        return node
    }
}
