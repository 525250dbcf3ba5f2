import AsyncAlgorithms
import Foundation
public import Logging
public import OutpostStore
public import ServiceLifecycle
import Synchronization

/// `outpost run`: the node's continuous sync as a swift-service-lifecycle `Service`.
///
/// Three loops: the pusher sends queued changes as soon as they appear (it checks the queue
/// every ``pollInterval``); the puller long-polls the hub, so a change on another node arrives
/// within tens of milliseconds, then fetches the content of files it brought; the link monitor
/// probes the hub's health (``LinkMonitor``).
/// While the link is down, pusher and puller stand still and the monitor probes, quickly at
/// first, so sync resumes within a fraction of a second of the hub coming back. Other failures
/// back off exponentially with jitter (`Retry-After` on 429). Maintenance runs every
/// ``maintenanceInterval``. On SIGTERM/SIGINT the pusher finishes the batch in flight and the
/// daemon stops.
public final class NodeDaemon: Service {
    public let engine: SyncEngine
    public let pollInterval: Duration
    let maintenance: MaintenancePolicy
    public let longPoll: Duration = .seconds(25)
    public let maintenanceInterval: Duration = .seconds(300)
    let logger: Logger
    private let stopping = Mutex(false)
    /// When the last exchange was recorded: a busy daemon pushes and pulls many times a second,
    /// and one write a second says as much for `last sync` and `/health`.
    private let lastRecorded = Mutex<ContinuousClock.Instant?>(nil)

    /// - Parameter maintenance: what the maintenance every five minutes deletes, and when.
    public init(
        engine: SyncEngine,
        pollInterval: Duration = .milliseconds(10),
        maintenance: MaintenancePolicy = MaintenancePolicy(),
        logger: Logger = Logger(label: "outpost.run")
    ) {
        self.engine = engine
        self.maintenance = maintenance
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.pullLoop() }
                group.addTask { await self.monitorLoop() }
                group.addTask { await self.maintenanceLoop() }
                // The pusher ends on shutdown, after its batch (or on cancellation); then the
                // others are cancelled: a long poll in flight is abandoned, and a pull cut off
                // before its rows are written is rolled back like any crash.
                await self.pushLoop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
        }
    }

    private func pushLoop() async {
        var backoff = Backoff()
        var random = SystemRandomNumberGenerator()
        while !stopping.withLock({ $0 }), !Task.isCancelled {
            do {
                if engine.link.isOnline, try await engine.hasPendingChanges() {
                    let report = try await engine.push()
                    if report.pushed + report.failed > 0 {
                        try await recordExchange()
                        logger.info("Pushed", metadata: ["changes": "\(report.pushed)", "failed": "\(report.failed)"])
                    }
                    backoff.reset()
                }
                try? await Task.sleep(for: pollInterval)
            } catch {
                try? await Task.sleep(for: pause(after: error, backoff: &backoff, random: &random))
            }
        }
    }

    private func pullLoop() async {
        var backoff = Backoff()
        var random = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            guard engine.link.isOnline else {
                try? await Task.sleep(for: pollInterval)
                continue
            }
            do {
                let report = try await engine.pull(waitMilliseconds: Int(longPoll.seconds * 1000))
                try await recordExchange()
                if report.pulled > 0 {
                    logger.info("Pulled", metadata: ["rows": "\(report.pulled)", "merged": "\(report.merged)"])
                }
                let fetched = try await engine.fetchContent()
                if fetched.filesFetched > 0 {
                    logger.info("Fetched file content", metadata: ["files": "\(fetched.filesFetched)"])
                }
                backoff.reset()
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: pause(after: error, backoff: &backoff, random: &random))
            }
        }
    }

    private func monitorLoop() async {
        while !Task.isCancelled {
            let wasOnline = engine.link.isOnline
            do {
                _ = try await engine.probe()
                if !wasOnline { logger.notice("Hub reachable again; sync resumes") }
            } catch {
                if wasOnline { logger.warning("Hub unreachable", metadata: ["reason": "\(error)"]) }
            }
            // Sleep until the next probe is due, or at once when a sync exchange finds the
            // link gone (the loops then wait for this monitor to see it back).
            let deadline = ContinuousClock.now + engine.link.nextProbe
            let onlineNow = engine.link.isOnline
            while !Task.isCancelled, ContinuousClock.now < deadline, engine.link.isOnline == onlineNow {
                try? await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
            }
        }
    }

    /// Records the node's last sync, at most once a second.
    private func recordExchange() async throws(SyncFailure) {
        let now = ContinuousClock.now
        let due = lastRecorded.withLock { last in
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
        if due {
            try await engine.recordExchange()
            await engine.reportStatus()
            await engine.refreshTenantRulesIfDue()
        }
    }

    private func maintenanceLoop() async {
        for await _ in AsyncTimerSequence(interval: maintenanceInterval, clock: .continuous)
            .cancelOnGracefulShutdown()
        {
            do {
                _ = try await engine.store.runMaintenance(policy: maintenance)
            } catch {
                logger.warning("Maintenance failed", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// How long to wait after `error`: the hub's `Retry-After`, else the backoff's next step.
    private func pause(after error: any Error, backoff: inout Backoff, random: inout SystemRandomNumberGenerator)
        -> Duration
    {
        if let failure = error as? SyncFailure, failure.code == .rateLimited {
            return .milliseconds(Int64((failure.retryAfter ?? 1) * 1000))
        }
        let wait = backoff.next(using: &random)
        logger.warning(
            "Sync failed; retrying",
            metadata: ["reason": "\(error)", "in_ms": "\(Int(wait.seconds * 1000))"]
        )
        return wait
    }
}
