import CompressNIO
import Foundation
import Logging
import NIOCore
public import OutpostCore
public import OutpostProtocol

/// The node's side of the hub protocol (docs/sync-protocol.md), over a ``HubTransport``.
///
/// Push bodies over 1 KiB are gzip-compressed, answers are accepted gzip-compressed, and every
/// failure is sorted into a ``SyncFailure`` the engine knows what to do with.
public struct HubClient: Sendable {
    public let remote: RemoteConfiguration
    private let transport: any HubTransport

    /// A client for `remote`, over HTTP unless another `transport` is given (tests hand requests
    /// to an in-process hub).
    public init(remote: RemoteConfiguration, transport: (any HubTransport)? = nil) {
        self.remote = remote
        self.transport =
            transport ?? HTTPHubTransport(baseURL: remote.url, http: HTTPHubTransport.client(for: remote.tlsFiles))
    }

    /// One answered request, with what it cost on the wire (bodies only, after compression).
    public struct Exchange<Value: Sendable>: Sendable {
        public var value: Value
        public var bytesSent: Int
        public var bytesReceived: Int
        public var elapsed: Duration
    }

    /// `POST /v1/push`.
    ///
    /// - Parameter body: the request already encoded (``PushRequest/encoded(changes:)``), when
    ///   the caller has it; else the request is encoded here.
    public func push(_ request: PushRequest, body: String? = nil) async throws(SyncFailure) -> Exchange<PushResponse> {
        try await push(request, wire: PushBody(json: body ?? request.json.encoded()))
    }

    /// `POST /v1/push` with the body as it goes on the wire (a batch in flight keeps it).
    func push(_ request: PushRequest, wire body: PushBody) async throws(SyncFailure) -> Exchange<PushResponse> {
        let answer = try await send(
            path: "/v1/push",
            body: body.bytes,
            compress: false,
            compressed: body.isCompressed,
            timeout: .seconds(120)
        )
        do {
            let response = try PushResponse(json: JSONValue(parsing: answer.text), changes: request.changes)
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
    ///
    /// With `table`, only that table's rows (a node filling a table it tracked late); the hub
    /// then does not record `cursor` as the node's.
    public func pull(after cursor: Int64, limit: Int, waitMilliseconds: Int = 0, table: String? = nil)
        async throws(SyncFailure) -> Exchange<PullResponse>
    {
        var path = "/v1/pull?after=\(cursor)&limit=\(limit)&wait_ms=\(waitMilliseconds)"
        if let table {
            path += "&table=" + (table.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? table)
        }
        let answer = try await send(
            path: path,
            body: nil,
            timeout: .milliseconds(Int64(waitMilliseconds) + 60_000)
        )
        do {
            let response = try PullResponse(parsing: Array(answer.body.readableBytesView))
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

    /// `GET /v1/tables`: the tenant's table declarations (columns, declared types, keys).
    public func tables() async throws(SyncFailure) -> Exchange<[String: TableDeclaration]> {
        let answer = try await send(path: "/v1/tables", body: nil, timeout: .seconds(60))
        do {
            return answer.exchange(try TableDeclaration.tablesAnswer(json: JSONValue(parsing: answer.text)))
        } catch {
            throw .badAnswer("tables answer: \(error)")
        }
    }

    /// `GET /v1/nodes`: the tenant's nodes by id and name, and which of them this node is.
    public func nodes() async throws(SyncFailure) -> Exchange<NodeDirectory> {
        let answer = try await send(path: "/v1/nodes", body: nil, timeout: .seconds(30))
        do {
            return answer.exchange(try NodeDirectory(json: JSONValue(parsing: answer.text)))
        } catch {
            throw .badAnswer("nodes answer: \(error)")
        }
    }

    /// `GET /v1/rules`: the tenant's conflict rules as the text of a rules file, nil when the
    /// tenant has none.
    public func rules() async throws(SyncFailure) -> Exchange<String?> {
        let answer = try await send(path: "/v1/rules", body: nil, timeout: .seconds(30))
        do {
            let rules = try JSONValue(parsing: answer.text)["rules"]
            return answer.exchange(rules.flatMap { $0 == .null ? nil : $0.encoded() })
        } catch {
            throw .badAnswer("rules answer: \(error)")
        }
    }

    /// `POST /v1/status`: tells the hub this node's release and queue, for its dashboard.
    public func report(_ report: NodeReport) async throws(SyncFailure) {
        _ = try await send(path: "/v1/status", json: report.json.encoded(), timeout: .seconds(30))
    }

    /// `GET /health`: how long the hub took to answer.
    public func probe(timeout: Duration = .seconds(5)) async throws(SyncFailure) -> Duration {
        try await send(path: "/health", body: nil, timeout: timeout).elapsed
    }

    /// `POST /v1/digest`: the hub's digest of one table's rows in a key-hash range (verify).
    public func digest(_ request: DigestRequest) async throws(SyncFailure) -> Exchange<DigestAnswer> {
        let answer = try await send(path: "/v1/digest", json: request.json.encoded(), timeout: .seconds(120))
        do {
            return answer.exchange(try DigestAnswer(json: JSONValue(parsing: answer.text)))
        } catch {
            throw .badAnswer("digest answer: \(error)")
        }
    }

    // MARK: File chunks

    /// `POST /v1/chunks/missing`: which of `hashes` the hub does not hold for the tenant.
    public func missingChunks(_ hashes: [String]) async throws(SyncFailure) -> Exchange<[String]> {
        let body: JSONValue = ["hashes": .array(hashes.map { .string($0) })]
        let answer = try await send(path: "/v1/chunks/missing", json: body.encoded(), timeout: .seconds(60))
        guard case .array(let items)? = (try? JSONValue(parsing: answer.text))?["missing"] else {
            throw .badAnswer("chunks/missing answer has no 'missing' array")
        }
        return answer.exchange(items.compactMap(\.stringValue))
    }

    /// `POST /v1/chunks`: uploads chunks; the answer counts those the hub did not have.
    public func upload(_ frames: [ChunkFrame]) async throws(SyncFailure) -> Exchange<Int> {
        let answer = try await send(
            path: "/v1/chunks",
            body: ByteBuffer(bytes: ChunkFrame.encode(frames)),
            contentType: "application/octet-stream",
            compress: false,
            timeout: .seconds(120)
        )
        guard case .integer(let stored)? = (try? JSONValue(parsing: answer.text))?["stored"] else {
            throw .badAnswer("chunks answer has no 'stored' count")
        }
        return answer.exchange(Int(stored))
    }

    /// `POST /v1/chunks/fetch`: the chunks of `hashes` the hub holds, as frames (any it lacks
    /// are left out).
    public func fetch(_ hashes: [String]) async throws(SyncFailure) -> Exchange<[ChunkFrame]> {
        let body: JSONValue = ["hashes": .array(hashes.map { .string($0) })]
        let answer = try await send(path: "/v1/chunks/fetch", json: body.encoded(), timeout: .seconds(120))
        do {
            return answer.exchange(
                try ChunkFrame.decode(answer.body.readableBytesView, maximumPayload: Self.maximumChunkPayload)
            )
        } catch {
            throw .badAnswer("chunks/fetch answer: \(error)")
        }
    }

    /// The largest chunk payload the node accepts from the hub (a stored chunk is at most 1 MiB).
    static let maximumChunkPayload = (1 << 20) + 64

    private struct Answer {
        var body: ByteBuffer
        var bytesSent: Int
        var bytesReceived: Int
        var elapsed: Duration

        var text: String { String(buffer: body) }

        func exchange<Value>(_ value: Value) -> Exchange<Value> {
            Exchange(value: value, bytesSent: bytesSent, bytesReceived: bytesReceived, elapsed: elapsed)
        }
    }

    /// 429s in a row after which a request fails with ``SyncFailure/Code/rateLimited``.
    static let rateLimitRetries = 10
    /// The longest `Retry-After` a request waits out; a longer one fails it, for the caller (the
    /// daemon's backoff, or the operator) to decide.
    static let longestRateLimitWait = 60.0
    private static let logger = Logger(label: "outpost.sync")

    /// The seconds a 429 asks to wait (`Retry-After`), 1 when it does not say.
    private static func retryAfter(_ answer: HubTransportAnswer) -> Double {
        guard let seconds = answer.header("Retry-After").flatMap(Double.init), seconds.isFinite else { return 1 }
        return max(0, seconds)
    }

    /// `body` as the wire carries it: gzip-compressed when over 1 KiB (smaller bodies gain
    /// nothing), with whether it was.
    static func wireBody(_ body: ByteBuffer) -> (ByteBuffer, compressed: Bool) {
        var source = body  // compressing reads the bytes out of it
        guard body.readableBytes > 1024, let compressed = try? source.compress(with: .gzip()) else {
            return (body, false)
        }
        return (compressed, true)
    }

    private func send(path: String, json: String, timeout: Duration) async throws(SyncFailure) -> Answer {
        try await send(path: path, body: ByteBuffer(string: json), timeout: timeout)
    }

    private func send(
        path: String,
        body: ByteBuffer?,
        contentType: String = "application/json",
        compress: Bool = true,
        compressed: Bool = false,
        timeout: Duration
    ) async throws(SyncFailure) -> Answer {
        var request = HubTransportRequest(
            method: body == nil ? .get : .post,
            path: path,
            headers: [
                ("Authorization", "Bearer \(remote.token)"), ("Accept-Encoding", "gzip"),
                (ProtocolVersion.header, "\(ProtocolVersion.current)"),
                ("User-Agent", "outpost/\(OutpostVersion.current)"),
            ],
            body: nil,
            timeout: timeout
        )
        var bytesSent = 0
        if var buffer = body {
            request.headers.append(("Content-Type", contentType))
            var gzipped = compressed
            if compress { (buffer, gzipped) = Self.wireBody(buffer) }
            if gzipped { request.headers.append(("Content-Encoding", "gzip")) }
            bytesSent = buffer.readableBytes
            request.body = buffer
        }
        let clock = ContinuousClock()
        var started = clock.now
        var answer = try await transport.send(request)
        // A hub that limits this node's rate says how long to wait: the request is sent again
        // after that wait (the hub did not act on it), so a long initial pull or push goes on
        // instead of failing at the first 429. A wait longer than a minute, or ten waits in a row
        // that did not help, end in the failure as before.
        var limited = 0
        while answer.status == 429, limited < Self.rateLimitRetries {
            let wait = Self.retryAfter(answer)
            guard wait <= Self.longestRateLimitWait else { break }
            limited += 1
            Self.logger.notice(
                "The hub is rate-limiting this node; waiting as it asks, then sending again",
                metadata: ["sync.path": "\(path.prefix { $0 != "?" })", "sync.wait_seconds": "\(wait)"]
            )
            do {
                try await Task.sleep(for: .seconds(wait))
            } catch {
                break
            }
            started = clock.now
            answer = try await transport.send(request)
        }
        let elapsed = clock.now - started
        let status = answer.status
        var received = answer.body
        let bytesReceived = received.readableBytes
        if answer.header("Content-Encoding")?.lowercased() == "gzip" {
            do {
                received = try received.decompress(with: .gzip(), maxSize: 1 << 30)
            } catch {
                throw .badAnswer("gzip body: \(error)")
            }
        }
        guard (200..<300).contains(status) else {
            let text = String(buffer: received)
            let problem = (try? JSONValue(parsing: text))?["error"]
            let code = problem?["code"]?.stringValue ?? "http_\(status)"
            let message = problem?["message"]?.stringValue ?? String(text.prefix(200))
            if code == ProtocolErrorCode.unsupportedProtocol { throw .incompatible(message) }
            switch status {
            case 401, 403: throw .unauthorized(code: code, message: message)
            case 410 where code == ProtocolErrorCode.resyncRequired: throw .resyncRequired
            case 429: throw .rateLimited(retryAfter: Self.retryAfter(answer), message: message)
            case 500...: throw .hubFailed(status: status, code: code, message: message)
            default: throw .refused(status: status, code: code, message: message)
            }
        }
        let spoken = answer.header(ProtocolVersion.header)
        guard let version = ProtocolVersion.parse(spoken), ProtocolVersion.served.contains(version) else {
            let range = "\(ProtocolVersion.served.lowerBound)–\(ProtocolVersion.served.upperBound)"
            throw .incompatible(
                "the hub speaks Outpost protocol version \(spoken ?? "?"), and this node serves versions \(range), "
                    + "so the node is older than the hub: upgrade the node."
            )
        }
        return Answer(body: received, bytesSent: bytesSent, bytesReceived: bytesReceived, elapsed: elapsed)
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
