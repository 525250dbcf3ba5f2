import HTTPTypes
import Hummingbird
package import Logging
import NIOConcurrencyHelpers
package import NIOCore
import NIOEmbedded
package import OutpostHub
package import OutpostSync
import ServiceLifecycle

/// A hub inside the test's own process: the real routes, middleware and storage, reached
/// through a ``HubTransport`` that hands each request to the router, with no server and no
/// socket. Sync tests use it so they need no hub process; the tests that cut, delay or restart
/// the hub still use ``HubProcess``.
package final class InProcessHub: Sendable {
    private let storage: any HubStorage
    private let responder: RouterResponder<HubRequestContext>
    private let logger: Logger
    /// Runs the storage's services (the PostgreSQL client) until ``close()``.
    private let services: Task<Void, any Error>?

    /// Opens and migrates `database`'s storage and builds the hub's router over it.
    package init(database: HubDatabase, configuration: HubConfiguration = HubConfiguration()) async throws {
        var logger = Logger(label: "outpost.hub.in-process")
        logger.logLevel = .warning
        let (storage, services) = try database.open(logger: logger)
        self.storage = storage
        self.logger = logger
        self.services =
            services.isEmpty
            ? nil
            : Task {
                try await withThrowingDiscardingTaskGroup { group in
                    for service in services { group.addTask { try await service.run() } }
                }
            }
        do {
            // Longer than a served hub's 10 s: the tests' database is up (scripts/test.sh waits
            // for it), and a test process running hundreds of tests on two cores can keep this
            // task from its threads longer than that; a wrong database still fails, later.
            try await HubDatabase.ping(storage, within: .seconds(60))
            try await storage.migrate()
        } catch {
            self.services?.cancel()
            throw error
        }
        responder = buildHubRouter(configuration: configuration, storage: storage).buildResponder()
    }

    /// Stops the storage's services; the hub answers nothing after it.
    package func close() {
        services?.cancel()
    }

    deinit { services?.cancel() }

    /// The hub's storage, for what a test does beside its routes (a site hub's relay).
    package var hubStorage: any HubStorage { storage }

    /// A transport that hands requests to this hub.
    package var transport: any HubTransport {
        InProcessHubTransport(responder: responder, logger: logger)
    }

    /// Adds a tenant.
    package func addTenant(_ name: String) async throws {
        _ = try await storage.addTenant(name: name)
    }

    /// Registers a node and returns its id and its token (shown once, as `hub node add` does).
    package func addNode(tenant: String, name: String) async throws -> (id: String, token: String) {
        let token = NodeToken.generate()
        let node = try await storage.addNode(tenant: tenant, name: name, tokenHash: NodeToken.hash(token))
        return (node.id, token)
    }
}

/// Hands each request to a hub router in this process, as its HTTP server would.
struct InProcessHubTransport: HubTransport {
    let responder: RouterResponder<HubRequestContext>
    let logger: Logger
    /// A channel that is never connected: the context reads the client's address from it.
    private let channel = NIOAsyncTestingChannel()

    init(responder: RouterResponder<HubRequestContext>, logger: Logger) {
        self.responder = responder
        self.logger = logger
    }

    func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
        do {
            return try await withThrowingTaskGroup(of: HubTransportAnswer?.self) { group in
                group.addTask { try await self.respond(to: request) }
                group.addTask {
                    try await Task.sleep(for: request.timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let answer = try await group.next() ?? nil else { throw SyncFailure.unreachable("timed out") }
                return answer
            }
        } catch let failure as SyncFailure {
            throw failure
        } catch {
            throw .unreachable("in-process hub: \(error)")
        }
    }

    private func respond(to request: HubTransportRequest) async throws -> HubTransportAnswer {
        var fields = HTTPFields()
        for (name, value) in request.headers {
            guard let field = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: field, value: value))
        }
        if let body = request.body { fields[.contentLength] = String(body.readableBytes) }
        let hummingbirdRequest = Request(
            head: HTTPRequest(
                method: request.method == .post ? .post : .get,
                scheme: "http",
                authority: "in-process",
                path: request.path,
                headerFields: fields
            ),
            body: RequestBody(buffer: request.body ?? ByteBuffer())
        )
        let context = HubRequestContext(source: .init(channel: channel, logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: hummingbirdRequest, context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: hummingbirdRequest, context: context)
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        return HubTransportAnswer(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name.rawName, $0.value) },
            body: collector.body
        )
    }
}

/// Collects a response body that the router writes.
private struct BodyCollector: ResponseBodyWriter {
    private let buffer = NIOLockedValueBox(ByteBuffer())

    var body: ByteBuffer { buffer.withLockedValue { $0 } }

    func write(_ part: ByteBuffer) async throws {
        buffer.withLockedValue { $0.writeImmutableBuffer(part) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
