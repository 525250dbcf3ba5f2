import Foundation
public import Logging
import OutpostCore
import OutpostSystem
public import ServiceLifecycle

/// `outpost run`'s auto-commit: every ``interval`` it commits the workspace's pending changes
/// ("Auto-commit: N item(s) changed") and, when the workspace has a remote, syncs with it.
///
/// A swift-service-lifecycle `Service`, composed in `outpost run`'s `ServiceGroup`; it stops
/// on graceful shutdown. Git runs on a thread of its own, so a slow push never holds the
/// cooperative pool the sync loops share. Failures are logged and recorded in
/// `workspace_sync_log`; the next round tries again, and local commits are always kept.
public final class WorkspaceAutoCommit: Service {
    /// What one round did.
    public enum Round: Sendable, Equatable {
        /// Nothing was pending.
        case idle
        /// Committed `items` items as `commit`; `synced` says whether the remote took it.
        case committed(commit: String, items: Int, synced: Bool)
        /// The round failed; `reason` is the error's message.
        case failed(reason: String)
    }

    public let workspace: Workspace
    public let interval: Duration
    /// The merge driver to keep registered before each sync (see ``Workspace/sync(mergeDriver:)``).
    public let mergeDriver: [String]?
    let logger: Logger

    public init(
        workspace: Workspace,
        interval: Duration,
        mergeDriver: [String]? = nil,
        logger: Logger = Logger(label: "outpost.workspace")
    ) {
        self.workspace = workspace
        self.interval = interval
        self.mergeDriver = mergeDriver
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                if Task.isCancelled { return }
                let round: Round
                do {
                    round = try await DedicatedThread.run { self.step() }
                } catch {
                    self.logger.error("Auto-commit round not run", metadata: ["error": "\(error)"])
                    continue
                }
                if case .committed(let commit, let items, let synced) = round {
                    self.logger.info(
                        "Auto-committed workspace",
                        metadata: [
                            "workspace.commit": "\(commit)", "workspace.items": "\(items)",
                            "workspace.synced": "\(synced)",
                        ]
                    )
                }
            }
        }
    }

    /// One round: refresh the index, commit what is pending, sync when there is a remote.
    public func step() -> Round {
        do {
            try workspace.refreshIndex(by: workspace.git.identity.name)
            let pending = try workspace.pendingCount()
            guard pending > 0,
                let outcome = try workspace.commit(
                    message: "Auto-commit: \(pending) item\(pending == 1 ? "" : "s") changed"
                )
            else { return .idle }
            guard try workspace.remoteURL() != nil else {
                return .committed(commit: outcome.hash, items: outcome.items, synced: false)
            }
            do {
                try workspace.sync(mergeDriver: mergeDriver)
                return .committed(commit: outcome.hash, items: outcome.items, synced: true)
            } catch {
                workspace.log("auto_sync", status: "error", error: error.message)
                logger.warning("Workspace sync failed; local commits kept", metadata: ["reason": "\(error.message)"])
                return .committed(commit: outcome.hash, items: outcome.items, synced: false)
            }
        } catch {
            workspace.log("auto_commit", status: "error", error: error.message)
            logger.warning("Workspace auto-commit failed", metadata: ["reason": "\(error.message)"])
            return .failed(reason: error.message)
        }
    }
}
