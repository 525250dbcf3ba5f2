public import Logging
public import OutpostCore
public import ServiceLifecycle

/// An Outpost hub inside another program: the routes, storage, migrations and housekeeping of
/// `outpost hub serve`, as a swift-service-lifecycle `Service`.
///
/// ```swift
/// var configuration = HubConfiguration()
/// configuration.port = 8080
/// let hub = try HubServer(
///     database: HubDatabase(parsing: "postgres://outpost@db.internal/outpost"),
///     configuration: configuration,
///     logger: Logger(label: "hub")
/// )
/// try await ServiceGroup(services: [hub], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
///
/// The database is migrated before the server accepts its first request. Tenants and nodes are
/// managed with `outpost hub tenant|node …` against the same database.
public struct HubServer: Service {
    public let database: HubDatabase
    public let configuration: HubConfiguration
    private let logger: Logger
    private let onServerRunning: @Sendable (Int) async -> Void
    private let onMetricsRunning: @Sendable (Int) async -> Void
    /// Services that work beside the hub over its storage, such as a site hub's relay to its
    /// upstream; each gets the storage and a stream that yields once the hub has migrated its
    /// database and answers requests.
    package var companions: @Sendable (any HubStorage, AsyncStream<Void>) -> [any Service] = { _, _ in [] }

    /// - Parameters:
    ///   - onServerRunning: called with the bound port once the server listens (port 0 picks one).
    ///   - onMetricsRunning: the same for the metrics listener, when the configuration has one.
    public init(
        database: HubDatabase,
        configuration: HubConfiguration = HubConfiguration(),
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onMetricsRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.database = database
        self.configuration = configuration
        self.logger = logger
        self.onServerRunning = onServerRunning
        self.onMetricsRunning = onMetricsRunning
    }

    /// Serves until a graceful shutdown (or cancellation), then lets requests in flight finish.
    public func run() async throws {
        let (storage, services) = try database.open(logger: logger)
        let (ready, readiness) = AsyncStream<Void>.makeStream()
        let onServerRunning = self.onServerRunning
        try await buildHubApplication(
            configuration: configuration,
            storage: storage,
            services: services + companions(storage, ready),
            logger: logger,
            onServerRunning: { port in
                readiness.yield()
                readiness.finish()
                await onServerRunning(port)
            },
            onMetricsRunning: onMetricsRunning
        ).run()
    }
}
