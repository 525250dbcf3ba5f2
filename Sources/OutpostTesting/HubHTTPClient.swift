public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OutpostCore
public import OutpostProtocol

/// A node's side of the sync protocol over real HTTP, for tests of live hubs.
public struct HubHTTPClient: Sendable {
    public let baseURL: String
    public let token: String
    private let client: HTTPClient

    public init(baseURL: String, token: String, client: HTTPClient = .shared) {
        self.baseURL = baseURL
        self.token = token
        self.client = client
    }

    /// An HTTP answer: status code and body.
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
        public var headers: [(String, String)]
    }

    public func push(_ request: PushRequest) async throws -> PushResponse {
        let answer = try await send("/v1/push", method: "POST", body: request.json.encoded())
        guard answer.status == 200 else {
            throw HubProcessError(message: "push answered \(answer.status): \(answer.body)")
        }
        return try PushResponse(json: JSONValue(parsing: answer.body), changes: request.changes)
    }

    public func pull(after cursor: Int64, limit: Int = 1000, waitMilliseconds: Int = 0) async throws -> PullResponse {
        let answer = try await send(
            "/v1/pull?after=\(cursor)&limit=\(limit)&wait_ms=\(waitMilliseconds)",
            method: "GET"
        )
        guard answer.status == 200 else {
            throw HubProcessError(message: "pull answered \(answer.status): \(answer.body)")
        }
        return try PullResponse(json: JSONValue(parsing: answer.body))
    }

    /// Sends `method` (`GET`, `POST`, …) to `path` with the node's token.
    public func send(_ path: String, method: String, body: String? = nil) async throws -> Answer {
        try await send(path, method: method, bytes: body.map { Array($0.utf8) }, contentType: "application/json")
    }

    /// Sends `bytes` (chunk frames, say) as the body, with `contentType`.
    public func send(_ path: String, method: String, bytes: [UInt8]?, contentType: String) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let bytes {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Answer(
            status: Int(response.status.code),
            body: String(buffer: bytes),
            headers: response.headers.map { ($0.name, $0.value) }
        )
    }
}
