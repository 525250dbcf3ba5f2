public import NIOCore

/// Carries one request to a hub and brings back its answer, as bytes.
///
/// ``HubClient`` builds the requests (paths, bearer token, compression) and reads the answers
/// (status codes, error bodies, gzip); a transport only moves them. ``HTTPHubTransport`` is the
/// one nodes use. Tests use an in-process transport that hands requests straight to a hub's
/// router (`InProcessHub` in OutpostTesting), so most sync tests need no hub process and no
/// socket.
public protocol HubTransport: Sendable {
    /// Sends `request` and returns the hub's answer, whatever its status.
    ///
    /// - Throws: ``SyncFailure/unreachable(_:)`` when no answer came (refused, reset, timed out).
    func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer
}

/// One request as a transport carries it.
public struct HubTransportRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method
    /// The path and query, starting with `/` (`/v1/pull?after=0`).
    public var path: String
    /// Header names and values, in order.
    public var headers: [(name: String, value: String)]
    /// The body as it goes on the wire (already compressed when it is).
    public var body: ByteBuffer?
    /// How long the whole exchange may take.
    public var timeout: Duration

    public init(
        method: Method,
        path: String,
        headers: [(name: String, value: String)],
        body: ByteBuffer?,
        timeout: Duration
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// The hub's answer as it came off the wire (still compressed when it was).
public struct HubTransportAnswer: Sendable {
    public var status: Int
    /// Header names and values, in order.
    public var headers: [(name: String, value: String)]
    public var body: ByteBuffer

    public init(status: Int, headers: [(name: String, value: String)], body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (case-insensitive), if it is present.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
