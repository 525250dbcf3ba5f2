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
            Set OUTPOST_LOG_LEVEL=info to see each push and pull.

            Example:
              outpost run --bandwidth 128k
            """
    )
    @OptionGroup var node: NodeOptions
    @OptionGroup var sync: SyncOptions

    func run() async throws {
        let lock = try SyncLock(home: node.homePath)
        var logger = Logger(label: "outpost.run")
        logger.logLevel = Logger.cli.logLevel
        let engine = try sync.engine(for: node, logger: logger)
        let daemon = NodeDaemon(engine: engine, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [daemon], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        print("outpost run: node \(engine.store.nodeID) syncing with \(engine.client.remote.url)")
        try await group.run()
        withExtendedLifetime(lock) {}
    }
}
