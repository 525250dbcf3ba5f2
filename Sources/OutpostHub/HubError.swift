public import HTTPTypes
public import Hummingbird
import NIOCore
import OutpostCore

/// An answer the hub gives instead of a result: a status, a stable code and a message.
///
/// Every refusal the hub makes is one of these, so a client always gets a JSON body saying
/// what failed and why (`{"error": {"code": …, "message": …}}`), never a bare 500.
public struct HubError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// Whether the error is the request's fault (4xx), not the hub's.
    package var isClientError: Bool { (400..<500).contains(status.code) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body: JSONValue = ["error": ["code": .string(code), "message": .string(message)]]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.encoded())))
    }

    static func invalid(_ code: String, _ message: String) -> HubError {
        HubError(.badRequest, code: code, message)
    }

    /// 401 for a token that is unknown or was revoked (also mid-request, for a waiting pull).
    static func revoked() -> HubError {
        HubError(
            .unauthorized,
            code: "invalid_token",
            "The token is unknown or was revoked. Ask the hub's operator for a new one.",
            headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""]
        )
    }
}
