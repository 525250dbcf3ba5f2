import Foundation
package import Logging
import OutpostCore
package import OutpostHub
package import OutpostSync
package import ServiceLifecycle

/// A site hub's link to its upstream hub (`outpost hub serve --upstream URL`): the hub serves
/// its site's nodes as any hub does, and this service makes it a node of the upstream for one
/// tenant. Every round it collects what the site's nodes wrote, pushes it up, and applies what
/// the rest of the fleet wrote to the site, so the site keeps working together while the link
/// is down and catches up when it returns.
///
/// Conflicts between the two levels are decided by the node engine's ``Reconciler`` under the
/// upstream tenant's rules (the same rules every node merges by), so a conflict has the same
/// outcome whichever level it meets at.
package struct UpstreamRelay: Service {
    package struct Configuration: Sendable {
        /// The upstream hub and this site hub's credential there.
        package var remote: RemoteConfiguration
        /// The tenant to relay; nil for the hub's only tenant.
        package var tenant: String?
        /// The relay's ledger (see ``RelayLedger``).
        package var ledgerPath: String
        /// The pause between rounds while the link works. Default 1 s.
        package var interval: Duration = .seconds(1)
        /// Rows per push and per pull page. Default 500.
        package var batchSize = 500
        /// Where the relay's link shows in the hub's `/metrics`.
        package var gauges = RelayGauges()
        /// A cap on the bytes per second the WAN link may carry; nil (default) for none.
        package var bandwidthBytesPerSecond: Double?
        /// Bytes per UTC day after which the relay waits for the next day; nil (default) for none.
        package var dailyQuotaBytes: Int64?

        package init(remote: RemoteConfiguration, tenant: String?, ledgerPath: String) {
            self.remote = remote
            self.tenant = tenant
            self.ledgerPath = ledgerPath
        }
    }

    private let configuration: Configuration
    private let storage: any HubStorage
    private let ready: AsyncStream<Void>
    private let logger: Logger

    /// - Parameter ready: yields once the hub has migrated its database.
    package init(configuration: Configuration, storage: any HubStorage, ready: AsyncStream<Void>, logger: Logger) {
        self.configuration = configuration
        self.storage = storage
        self.ready = ready
        self.logger = logger
    }

    package func run() async throws {
        for await _ in ready.cancelOnGracefulShutdown() { break }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        let ledger = try RelayLedger(path: configuration.ledgerPath)
        let site = try await SiteTenant.open(storage: storage, name: configuration.tenant, ledger: ledger)
        try ledger.setSetting("upstream_url", to: configuration.remote.url)
        try ledger.setSetting("daily_quota", to: configuration.dailyQuotaBytes.map(String.init) ?? "")
        logger.info(
            "Relaying to the upstream hub",
            metadata: ["relay.upstream": "\(configuration.remote.url)", "relay.tenant": "\(site.name)"]
        )
        let (configuration, logger) = (self.configuration, self.logger)
        do {
            try await cancelWhenGracefulShutdown {
                var exchange = RelayExchange(
                    site: site,
                    ledger: ledger,
                    client: HubClient(remote: configuration.remote),
                    batchSize: configuration.batchSize,
                    logger: logger,
                    gauges: configuration.gauges,
                    bandwidthBytesPerSecond: configuration.bandwidthBytesPerSecond,
                    dailyQuota: configuration.dailyQuotaBytes
                )
                var failures = 0
                while true {
                    do {
                        try await exchange.round()
                        if failures > 0 { logger.info("The upstream link works again") }
                        failures = 0
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        failures += 1
                        exchange.recordFailure(error)
                        if failures == 1 || failures % 30 == 0 {
                            logger.warning(
                                "The upstream link failed; the site keeps working and the relay retries",
                                metadata: ["relay.error": "\(error)", "relay.failures": "\(failures)"]
                            )
                        }
                    }
                    try await Task.sleep(for: Self.pause(after: failures, interval: configuration.interval))
                }
            }
        } catch is CancellationError {
            return
        }
    }

    /// The pause before the next round: the interval while the link works, doubling after each
    /// failure up to 30 s.
    static func pause(after failures: Int, interval: Duration) -> Duration {
        guard failures > 0 else { return interval }
        return min(interval * (1 << min(failures, 10)), .seconds(30))
    }
}
