public import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The transport nodes use: HTTP(S) to the hub's URL through AsyncHTTPClient.
public struct HTTPHubTransport: HubTransport {
    /// The hub's base URL, without a trailing slash (`http://hub.example:8080`).
    public let baseURL: String
    private let http: HTTPClient

    public init(baseURL: String, http: HTTPClient = HTTPHubTransport.sharedHTTPClient) {
        self.baseURL = baseURL
        self.http = http
    }

    /// The engine's HTTP client. Unlike `HTTPClient.shared` it fails a request at once when the
    /// hub refuses the connection (the shared one retries until the request's deadline, so
    /// `outpost sync` against a stopped hub would hang), and it leaves answers compressed, so
    /// the engine counts the bytes that really crossed the link.
    public static let sharedHTTPClient = makeClient(tls: nil)

    /// A client as the engine needs one (see ``sharedHTTPClient``), with `tls` when given.
    private static func makeClient(tls: TLSConfiguration?) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Clients with TLS files of their own, one per set of files for the life of the process
    /// (a client holds connections and must not be made per request).
    private static let tlsClients = Mutex<[RemoteConfiguration.TLSFiles: HTTPClient]>([:])

    /// The client for a remote's TLS files: a private authority trusted besides the system's,
    /// and a client certificate for a hub that requires one. The shared client without them.
    static func client(for files: RemoteConfiguration.TLSFiles?) -> HTTPClient {
        guard let files else { return sharedHTTPClient }
        return tlsClients.withLock { clients in
            if let client = clients[files] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = files.caFile { tls.additionalTrustRoots = [.file(caFile)] }
            if let certificate = files.clientCertificateFile, let key = files.clientKeyFile,
                let chain = try? NIOSSLCertificate.fromPEMFile(certificate),
                let privateKey = try? NIOSSLPrivateKey(file: key, format: .pem)
            {
                tls.certificateChain = chain.map { .certificate($0) }
                tls.privateKey = .privateKey(privateKey)
            }
            let client = makeClient(tls: tls)
            clients[files] = client
            return client
        }
    }

    /// The largest answer body accepted (compressed); a pull page is bounded far below it.
    static let maximumAnswerBytes = 256 << 20

    public func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
        var outgoing = HTTPClientRequest(url: baseURL + request.path)
        outgoing.method = request.method == .post ? .POST : .GET
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(body) }
        do {
            let response = try await http.execute(outgoing, timeout: .nanoseconds(request.timeout.nanoseconds))
            let body = try await response.body.collect(upTo: Self.maximumAnswerBytes)
            return HubTransportAnswer(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: body
            )
        } catch {
            throw .unreachable(Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return "timed out"
            }
            if error == .remoteConnectionClosed { return "connection closed" }
        }
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the hub's TLS certificate is not trusted: no known authority signed it (give the one that did "
                + "as the remote's --ca-file)"
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("ALERT_HANDSHAKE_FAILURE")
            || text.contains("ALERT_UNKNOWN_CA") || text.contains("ALERT_BAD_CERTIFICATE")
        {
            return "the hub refused this node's TLS client certificate, or wants one it does not have (set the "
                + "remote's --client-cert and --client-key)"
        }
        if text.contains("failedToValidateHostname") {
            return "the hub's TLS certificate is not for this address (its names do not include the URL's host)"
        }
        if error is NIOSSLError { return "the TLS handshake with the hub failed: \(String(text.prefix(160)))" }
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}
