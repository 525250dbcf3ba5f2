import ArgumentParser
import Logging
import OutpostCore
import OutpostStore
import OutpostSync
import ServiceLifecycle
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the node: sync continuously until SIGTERM or SIGINT.",
        discussion: """
            Pushes each change as soon as it is queued, long-polls the hub for other nodes'
            changes, probes the link, backs off while the hub is away and runs maintenance every
            five minutes. On SIGTERM/SIGINT it finishes the batch in flight, then exits.
            Set OUTPOST_LOG_LEVEL=info to see each push and pull. With --metrics it also serves
            the sync statistics for Prometheus at /metrics (port 0 picks a free port; the address
            is printed).

            Examples:
              outpost run --bandwidth 128k
              outpost run --metrics 127.0.0.1:9464 --daily-quota 50m
            """
    )
    @OptionGroup var node: NodeOptions
    @OptionGroup var sync: SyncOptions

    @Option(
        name: .customLong("metrics"),
        help: ArgumentHelp("Serve /metrics (Prometheus) at HOST:PORT, or PORT on 127.0.0.1.", valueName: "address")
    )
    var metrics: ListenAddress?

    func run() async throws {
        let lock = try SyncLock(home: node.homePath)
        var logger = Logger(label: "outpost.run")
        logger.logLevel = Logger.cli.logLevel
        let engine = try sync.engine(for: node, logger: logger)
        var services: [any Service] = [NodeDaemon(engine: engine, logger: logger)]
        if let metrics {
            services.append(
                NodeMetricsServer.application(address: metrics, engine: engine, home: node.homePath, logger: logger)
            )
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        print("outpost run: node \(engine.store.nodeID) syncing with \(engine.client.remote.url)")
        try await group.run()
        withExtendedLifetime(lock) {}
    }
}
