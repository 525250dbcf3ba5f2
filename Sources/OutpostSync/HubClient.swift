public import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1
import OutpostCore
public import OutpostProtocol

/// The node's side of the hub protocol (docs/sync-protocol.md) over HTTP.
///
/// Push bodies over 1 KiB are gzip-compressed, answers are accepted gzip-compressed, and every
/// failure is sorted into a ``SyncFailure`` the engine knows what to do with.
public struct HubClient: Sendable {
    public let remote: RemoteConfiguration
    private let http: HTTPClient

    public init(remote: RemoteConfiguration, http: HTTPClient = HubClient.sharedHTTPClient) {
        self.remote = remote
        self.http = http
    }

    /// The engine's HTTP client. Unlike `HTTPClient.shared` it fails a request at once when the
    /// hub refuses the connection (the shared one retries until the request's deadline, so
    /// `outpost sync` against a stopped hub would hang), and it leaves answers compressed, so
    /// the engine counts the bytes that really crossed the link.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// One answered request, with what it cost on the wire (bodies only, after compression).
    public struct Exchange<Value: Sendable>: Sendable {
        public var value: Value
        public var bytesSent: Int
        public var bytesReceived: Int
        public var elapsed: Duration
    }

    /// `POST /v1/push`.
    public func push(_ request: PushRequest) async throws(SyncFailure) -> Exchange<PushResponse> {
        let answer = try await send(path: "/v1/push", body: request.json.encoded(), timeout: .seconds(120))
        do {
            let response = try PushResponse(json: JSONValue(parsing: answer.body), changes: request.changes)
            return Exchange(
                value: response,
                bytesSent: answer.bytesSent,
                bytesReceived: answer.bytesReceived,
                elapsed: answer.elapsed
            )
        } catch {
            throw .badAnswer("push answer: \(error)")
        }
    }

    /// `GET /v1/pull`: rows after `cursor`, waiting up to `waitMilliseconds` when there are none.
    public func pull(after cursor: Int64, limit: Int, waitMilliseconds: Int = 0) async throws(SyncFailure)
        -> Exchange<PullResponse>
    {
        let answer = try await send(
            path: "/v1/pull?after=\(cursor)&limit=\(limit)&wait_ms=\(waitMilliseconds)",
            body: nil,
            timeout: .milliseconds(Int64(waitMilliseconds) + 60_000)
        )
        do {
            let response = try PullResponse(json: JSONValue(parsing: answer.body))
            return Exchange(
                value: response,
                bytesSent: answer.bytesSent,
                bytesReceived: answer.bytesReceived,
                elapsed: answer.elapsed
            )
        } catch {
            throw .badAnswer("pull answer: \(error)")
        }
    }

    /// `GET /health`: how long the hub took to answer.
    public func probe(timeout: Duration = .seconds(5)) async throws(SyncFailure) -> Duration {
        try await send(path: "/health", body: nil, timeout: timeout).elapsed
    }

    private struct Answer {
        var body: String
        var bytesSent: Int
        var bytesReceived: Int
        var elapsed: Duration
    }

    private func send(path: String, body: String?, timeout: Duration) async throws(SyncFailure) -> Answer {
        var request = HTTPClientRequest(url: remote.url + path)
        request.headers.add(name: "Authorization", value: "Bearer \(remote.token)")
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        var bytesSent = 0
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            var buffer = ByteBuffer(string: body)
            if buffer.readableBytes > 1024, let compressed = try? buffer.compress(with: .gzip()) {
                buffer = compressed
                request.headers.add(name: "Content-Encoding", value: "gzip")
            }
            bytesSent = buffer.readableBytes
            request.body = .bytes(buffer)
        }
        let clock = ContinuousClock()
        let started = clock.now
        let status: Int
        let headers: HTTPHeaders
        var received: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            status = Int(response.status.code)
            headers = response.headers
            received = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw .unreachable(Self.describe(error))
        }
        let elapsed = clock.now - started
        let bytesReceived = received.readableBytes
        if headers["Content-Encoding"].first?.lowercased() == "gzip" {
            do {
                received = try received.decompress(with: .gzip(), maxSize: 1 << 30)
            } catch {
                throw .badAnswer("gzip body: \(error)")
            }
        }
        let text = String(buffer: received)
        guard (200..<300).contains(status) else {
            let problem = (try? JSONValue(parsing: text))?["error"]
            let code = problem?["code"]?.stringValue ?? "http_\(status)"
            let message = problem?["message"]?.stringValue ?? String(text.prefix(200))
            switch status {
            case 401, 403: throw .unauthorized(code: code, message: message)
            case 410 where code == ProtocolErrorCode.resyncRequired: throw .resyncRequired
            case 429:
                let seconds = headers["Retry-After"].first.flatMap(Double.init) ?? 1
                throw .rateLimited(retryAfter: seconds, message: message)
            case 500...: throw .hubFailed(status: status, code: code, message: message)
            default: throw .refused(status: status, code: code, message: message)
            }
        }
        return Answer(body: text, bytesSent: bytesSent, bytesReceived: bytesReceived, elapsed: elapsed)
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return "timed out"
            }
            if error == .remoteConnectionClosed { return "connection closed" }
        }
        let text = "\(error)"
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}

extension Duration {
    /// The duration in whole nanoseconds (clamped), for APIs that take `TimeAmount`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds >= Int64.max / 1_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
