import Logging
import ServiceLifecycle

/// Wakes this process's waiting pulls when another hub process (or an admin command) changes a
/// tenant: it follows the storage's change feed (``HubStorage/followChanges(_:)``: PostgreSQL's
/// `LISTEN`, or one cheap check of SQLite's `data_version` four times a second) with one task per
/// process, so a waiting pull does no work until something changes. Restarts the feed after a
/// failure (a lost database connection) and wakes every waiter then, since it may have missed
/// a change meanwhile. Starts once `migrated` finishes: before the migration there are no
/// tables to follow.
struct HubChangeFollower: Service {
    let storage: any HubStorage
    let notifier: SequenceNotifier
    let migrated: AsyncStream<Void>
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            for await _ in migrated {}
            try Task.checkCancellation()
            try await follow()
        }
    }

    private func follow() async throws {
        let notifier = self.notifier
        while !Task.isCancelled {
            do {
                try await storage.followChanges { tenantID in
                    if tenantID == SequenceNotifier.everyTenant {
                        notifier.notifyAll()
                    } else {
                        notifier.notify(tenantID: tenantID)
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning(
                    "Following other hub processes' changes failed; retrying",
                    metadata: ["hub.error": "\(error)"]
                )
            }
            notifier.notifyAll()
            try await Task.sleep(for: .seconds(1))
        }
    }
}
