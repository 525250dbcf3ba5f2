public import Foundation
public import OutpostCore

/// What the node's `/health` answers under `outpost run`: healthy, or the reasons it is not.
///
/// Unhealthy means a person should look: the node has not exchanged with its hub for longer
/// than the allowed age (the hub is away, or sync is stuck), changes the hub refused wait in the
/// queue as failed, or the disk under the node's home is nearly full. `/live` stays a plain
/// liveness check: a process that answers it need not be restarted.
public struct NodeHealth: Sendable, Equatable {
    /// Why the node is unhealthy; empty when it is healthy.
    public var reasons: [String]

    public var isHealthy: Bool { reasons.isEmpty }

    public init(reasons: [String]) {
        self.reasons = reasons
    }

    /// The smallest free share of the disk before the node says it is nearly full.
    public static let minimumFreeFraction = 0.05
    /// The least free space, whatever the disk's size, before the node says it is nearly full.
    public static let minimumFreeBytes: Int64 = 256 << 20

    /// Judges the node from facts gathered elsewhere (pure, so every rule is tested alone).
    ///
    /// - Parameters:
    ///   - lastSyncMilliseconds: the last exchange with the hub (Unix ms), if any.
    ///   - runningSince: when the daemon started: a node that has not synced yet is given the
    ///     allowed age from its start.
    ///   - maximumSyncAge: how long the node may go without an exchange; `nil` when it has no
    ///     hub to sync with.
    public init(
        lastSyncMilliseconds: Int64?,
        now: Date,
        runningSince: Date,
        maximumSyncAge: Duration?,
        failedChanges: Int,
        freeBytes: Int64?,
        totalBytes: Int64?
    ) {
        var reasons: [String] = []
        if let maximumSyncAge {
            let limit = Double(maximumSyncAge.components.seconds)
            let since = lastSyncMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? runningSince
            let age = now.timeIntervalSince(since)
            if age > limit {
                reasons.append(
                    lastSyncMilliseconds == nil
                        ? "no exchange with the hub since the node started \(Int(age)) s ago (allowed: \(Int(limit)) s)"
                        : "no exchange with the hub for \(Int(age)) s (allowed: \(Int(limit)) s)"
                )
            }
        }
        if failedChanges > 0 {
            reasons.append("\(failedChanges) change(s) the hub refused wait in the queue as failed")
        }
        if let freeBytes, let totalBytes, totalBytes > 0,
            Double(freeBytes) / Double(totalBytes) < Self.minimumFreeFraction || freeBytes < Self.minimumFreeBytes
        {
            reasons.append(
                "the disk under the node's home is nearly full: \(freeBytes >> 20) MiB free of \(totalBytes >> 20) MiB"
            )
        }
        self.reasons = reasons
    }

    /// Free and total bytes of the file system holding `path`, or `nil` when it cannot be read.
    public static func diskSpace(at path: String) -> (free: Int64, total: Int64)? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let block = Int64(info.f_frsize)
        return (Int64(info.f_bavail) * block, Int64(info.f_blocks) * block)
    }

    /// `{"status": "ok"}` or `{"status": "unhealthy", "reasons": […]}`.
    public var json: JSONValue {
        isHealthy
            ? ["status": "ok"]
            : ["status": "unhealthy", "reasons": .array(reasons.map(JSONValue.string))]
    }
}
