public import Hummingbird
import Logging
import NIOCore
import NIOSSL

/// The per-request context: Hummingbird's core storage plus the node the request came from.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware on `/v1` routes.
    var node: AuthenticatedNode?
    /// The client's IP address (`unknown` when the channel has none, as in tests), which
    /// requests without a valid token are rate limited by.
    let clientAddress: String
    /// The connection the request came on, whose TLS handshake says which client certificate
    /// it presented.
    let channel: any Channel
    /// Bodies are collected by ``BodyCodec`` against the hub's own limit instead.
    public var maxUploadSize: Int { .max }

    public init(source: Source) {
        coreContext = .init(source: source)
        node = nil
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        channel = source.channel
    }

    /// The SHA-256 fingerprint of the client certificate the connection presented (and TLS
    /// verified against the hub's client authority), or nil without one or without TLS. Read
    /// on the channel's event loop, where its TLS handler lives.
    func clientCertificate() async -> String? {
        let channel = self.channel
        return try? await channel.eventLoop.submit { () -> String? in
            guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
                let certificate = handler.peerCertificate
            else { return nil }
            return ServerTLS.fingerprint(of: certificate)
        }.get()
    }

    func requireNode() throws -> AuthenticatedNode {
        guard let node else {
            throw HubError(.unauthorized, code: "unauthenticated", "This route needs a node token.")
        }
        return node
    }
}
