import Hummingbird
import Logging
import OutpostCore
import OutpostHub
import ServiceLifecycle

/// A hub in this process on 127.0.0.1 for the benchmarks: over `database`, migrated, with rate
/// limits out of the way, stopped when `body` returns.
enum BenchHub {
    static func with<T: Sendable>(
        database: HubDatabase,
        logLevel: Logger.Level = .error,
        configure: (inout HubConfiguration) -> Void = { _ in },
        _ body: @Sendable (_ storage: any HubStorage, _ port: Int) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "outpost.bench")
        logger.logLevel = logLevel
        let (storage, services) = try database.open(logger: logger)
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        var configuration = HubConfiguration()
        configuration.port = 0
        configuration.requestsPerSecond = 1_000_000
        configuration.requestBurst = 1_000_000
        configure(&configuration)
        let app = buildHubApplication(
            configuration: configuration,
            storage: storage,
            services: services,
            logger: logger,
            onServerRunning: { port in portSink.yield(port) }
        )
        // Stopped by a graceful shutdown, not by cancellation, which the server logs as an error.
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger)
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            do {
                var portIterator = ports.makeAsyncIterator()
                guard let port = await portIterator.next() else {
                    throw OutpostError(.storage, "The hub did not start.")
                }
                let result = try await body(storage, port)
                await serviceGroup.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
