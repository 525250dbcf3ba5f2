import Foundation
import HTTPTypes
package import Hummingbird
import HummingbirdCore
package import Logging
import NIOCore
import OutpostCore
import OutpostProtocol
import Prometheus
package import ServiceLifecycle
import Synchronization

/// Builds the hub: its routes, middleware and housekeeping, over `storage`, which it migrates
/// before the server accepts its first request.
///
/// ```swift
/// let storage = try SQLiteHubStorage(path: "hub.sqlite")
/// let app = buildHubApplication(configuration: HubConfiguration(), storage: storage, logger: logger)
/// try await app.runService()
/// ```
///
/// - Parameters:
///   - services: long-running work the application runs alongside the server (the PostgreSQL
///     client must be one of them when the storage is PostgreSQL).
///   - onServerRunning: called with the bound port once the server listens (port 0 picks one).
package func buildHubApplication(
    configuration: HubConfiguration,
    storage: any HubStorage,
    services: [any Service] = [],
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onMetricsRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let metrics = HubMetrics()
    var services = services
    if let listener = configuration.metricsListener {
        let metricsRouter = Router(context: HubRequestContext.self)
        HubRoutes.registerMetrics(metrics, extra: configuration.extraMetrics, on: metricsRouter)
        services.append(
            Application(
                router: metricsRouter,
                configuration: .init(
                    address: .hostname(listener.host, port: listener.port),
                    serverName: "outpost-hub-metrics"
                ),
                onServerRunning: { channel in await onMetricsRunning(channel.localAddress?.port ?? listener.port) },
                logger: logger
            )
        )
    }
    let routes = HubRoutes(configuration: configuration, storage: storage, metrics: metrics)
    let router = routes.router()
    let housekeeping = HubHousekeeping(storage: storage, configuration: configuration, logger: logger)
    // The follower reads the hub's tables, so it waits until the migration has made them.
    let (migrated, migration) = AsyncStream<Void>.makeStream()
    let follower: [any Service] =
        configuration.crossProcessPollInterval == nil
        ? [HubChangeFollower(storage: storage, notifier: routes.notifier, migrated: migrated, logger: logger)] : []
    var application = Application(
        router: router,
        server: ServerTLS.serving(
            .http1(configuration: .init(idleTimeout: .init(configuration.idleTimeout))),
            with: configuration.tls
        ),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "outpost-hub",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maximumConnections)
        ),
        services: services + [housekeeping] + follower,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
    // Once the services run (the PostgreSQL client is one) and before the first request is
    // accepted: a request never meets a half-migrated database.
    application.beforeServerStarts {
        try await HubDatabase.ping(storage, within: .seconds(10))
        try await storage.migrate()
        migration.finish()
    }
    return application
}

/// The hub's routes and middleware over `storage`, without a server, housekeeping or a change
/// feed: what ``buildHubApplication(configuration:storage:services:logger:onServerRunning:onMetricsRunning:)``
/// serves, and what an in-process transport hands requests to (pushes wake the same router's
/// waiting pulls; changes made by other processes are seen when a wait rechecks).
package func buildHubRouter(configuration: HubConfiguration, storage: any HubStorage) -> Router<HubRequestContext> {
    HubRoutes(configuration: configuration, storage: storage, metrics: HubMetrics()).router()
}

/// The hub's HTTP API (described in `docs/sync-protocol.md` and served at `/openapi.json`).
struct HubRoutes: Sendable {
    let configuration: HubConfiguration
    let storage: any HubStorage
    let metrics: HubMetrics
    let notifier = SequenceNotifier()
    let activity = HubActivity()

    var codec: BodyCodec {
        BodyCodec(
            maximumBytes: configuration.limits.maximumBodyBytes,
            timeout: configuration.bodyTimeout,
            metrics: metrics
        )
    }

    /// A router with the error middleware and every route.
    func router() -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: HubErrorMiddleware(metrics: metrics))
        register(on: router)
        return router
    }

    private func register(on router: Router<HubRequestContext>) {
        router.get("/health") { request, _ in try await health(request) }
        if configuration.metricsListener == nil {
            Self.registerMetrics(metrics, extra: configuration.extraMetrics, on: router)
        }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json))
            )
        }
        let v1 = router.group("v1").add(middleware: ProtocolVersionMiddleware()).add(
            middleware: NodeAuthMiddleware(
                storage: storage,
                limiter: RateLimiter(
                    requestsPerSecond: configuration.requestsPerSecond,
                    burst: configuration.requestBurst
                ),
                failures: RateLimiter(
                    requestsPerSecond: configuration.unauthenticatedRequestsPerSecond,
                    burst: configuration.unauthenticatedRequestsPerSecond * 4
                )
            )
        )
        v1.post("push") { request, context in try await push(request, context: context) }
        v1.get("pull") { request, context in try await pull(request, context: context) }
        registerChunkRoutes(on: v1)
        registerDigestRoute(on: v1)
        registerTableRoutes(on: v1)
        registerNodeRoutes(on: v1)
        registerRulesRoute(on: v1)
        registerDashboard(on: router)
    }

    /// `GET /metrics`, on the API's listener or on one of its own.
    static func registerMetrics(
        _ metrics: HubMetrics,
        extra: (@Sendable () -> String)? = nil,
        on router: Router<HubRequestContext>
    ) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render() + (extra?() ?? "")))
            )
        }
    }

    private func health(_ request: Request) async throws -> Response {
        do {
            try await storage.ping()
        } catch {
            throw HubError(.serviceUnavailable, code: "database_unavailable", "The hub cannot reach its database.")
        }
        let health: JSONValue = [
            "status": "ok", "database": .string(storage.backendName), "version": .string(OutpostVersion.current),
        ]
        return try codec.response(body: health.encoded(), for: request)
    }

    private func push(_ request: Request, context: HubRequestContext) async throws -> Response {
        var node = try context.requireNode()
        let spoken = ProtocolVersion.parse(request.headers[ProtocolVersionMiddleware.headerName])
        node.acceptsRefusals = (spoken ?? ProtocolVersion.unmarked) >= ProtocolVersion.refusals
        let body = try await codec.bytes(from: request)
        let batch = try PushBatch(parsing: Array(body.readableBytesView))
        if !node.relays, let index = batch.changes.firstIndex(where: { $0.origin != nil }) {
            throw HubError(
                .forbidden,
                code: ProtocolErrorCode.originNotAllowed,
                "changes[\(index)] names its writer (origin), which only a credential marked as a site hub's "
                    + "(a relay) may do; send the change without it."
            )
        }
        // Declarations are checked before a stored answer is replayed, so a retried batch id
        // cannot smuggle a malformed one past the checks.
        try BatchValidator.check(batch.declarations)
        let validator = BatchValidator(limits: configuration.limits)
        // Before the storage looks the batch id up: PostgreSQL text cannot hold U+0000.
        try validator.checkBatchID(batch.batchID)
        try await checkFileContent(of: batch, tenantID: node.tenantID)
        let outcome = try await storage.push(batch, from: node, validator: validator)
        metrics.changesApplied.increment(by: Int64(outcome.applied))
        metrics.conflicts.increment(by: Int64(outcome.conflicts))
        activity.recordPush(changes: outcome.applied)
        if outcome.applied > 0 { notifier.notify(tenantID: node.tenantID) }
        return try codec.response(body: outcome.body, for: request)
    }

    private func pull(_ request: Request, context: HubRequestContext) async throws -> Response {
        var node = try context.requireNode()
        let limits = configuration.limits
        let after = try integer(request, "after", default: 0, in: 0...Int64.max)
        let limit = Int(try integer(request, "limit", default: 1000, in: 1...Int64(limits.maximumPullLimit)))
        let wait = try integer(request, "wait_ms", default: 0, in: 0...Int64(limits.maximumWaitMilliseconds))
        let table = try tableFilter(request)
        var response = try await storage.pull(
            for: node,
            after: after,
            limit: limit,
            maximumBytes: limits.maximumPullBytes,
            table: table
        )
        if response.rows.isEmpty, wait > 0 {
            metrics.pullWaiters.increment()
            defer { metrics.pullWaiters.decrement() }
            let deadline = ContinuousClock.now + .milliseconds(wait)
            let recheck = configuration.crossProcessPollInterval ?? configuration.changeFeedRecheckInterval
            // The newest sequence number already looked at: a conflict moves the tenant's
            // sequence without a row to pull, and must not make every wake pull again.
            var seen = max(after, response.head)
            // The first check comes soon: a push that committed between the pull above and the
            // wait's start notified no one.
            var timeout = Duration.milliseconds(100)
            // A hub shutting down answers its long polls at once instead of holding them (and its
            // shutdown) for up to `wait_ms`.
            while ContinuousClock.now < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully {
                let remaining = deadline - ContinuousClock.now
                await notifier.wait(tenantID: node.tenantID, timeout: min(remaining, timeout))
                timeout = recheck
                metrics.pullWaitChecks.increment()
                let state = try await storage.waitState(of: node)
                // A node revoked while it waits is told at once, not handed rows until the wait ends.
                guard let current = state.current else { throw HubError.revoked() }
                if state.sequence > seen {
                    seen = state.sequence
                    // The node's scope as it is now: an operator may have changed it meanwhile.
                    node = current
                    response = try await storage.pull(
                        for: node,
                        after: after,
                        limit: limit,
                        maximumBytes: limits.maximumPullBytes,
                        table: table
                    )
                    if !response.rows.isEmpty { break }
                }
            }
        }
        activity.recordPull(rows: response.rows.count)
        return try codec.response(body: response.body(changeIDs: node.relays), for: request)
    }

    /// The optional `table` query parameter: a table name as a push would accept it.
    private func tableFilter(_ request: Request) throws -> String? {
        guard let text = request.uri.queryParameters["table"] else { return nil }
        let name = String(text)
        // A name no push could create names no table: refused as a push refuses it.
        do {
            try BatchValidator.checkIdentifier(name, what: "Query parameter 'table'")
        } catch {
            throw HubError.invalid("invalid_parameter", error.message)
        }
        return name
    }

    private func integer(_ request: Request, _ name: String, default value: Int64, in range: ClosedRange<Int64>)
        throws -> Int64
    {
        guard let text = request.uri.queryParameters[Substring(name)] else { return value }
        guard let number = Int64(text), range.contains(number) else {
            throw HubError.invalid(
                "invalid_parameter",
                "Query parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)."
            )
        }
        return number
    }
}
