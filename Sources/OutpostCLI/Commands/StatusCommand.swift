import ArgumentParser
import Foundation
import OutpostCore
import OutpostRunner
import OutpostStore
import OutpostSync

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the node: rows, the sync queue by status and priority, conflicts, store size.",
        discussion: """
            The runner part: agents by status (and how many this node runs), this node's runs \
            by status, and the next scheduled runs here. The sync part is the seed's \
            get_sync_statistics: changes pushed, rows pulled, \
            conflicts merged and parked, failed changes, bytes (today and in total), pending \
            changes by priority, the hub, when the node last synced, and the link's round trip \
            and batch size as of the last push. A running `outpost run --metrics` serves the \
            same figures, live, for Prometheus.

            Example:
              outpost status
              outpost status --json | jq '.sync_queue.pending'
              outpost status --json | jq '.sync.queue_by_priority'
            """
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try node.openStore()
        let statistics = try store.statistics()
        let sync = try SyncStatistics.load(store: store, home: node.homePath)
        let runner = try RunnerStatistics.load(store: store)
        if output.json {
            Output.json(StatusReport(store: statistics, sync: sync, runner: runner))
            return
        }
        func summary(_ counts: [String: Int]) -> String {
            counts.isEmpty
                ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        let byPriority = statistics.pendingByPriority
            .sorted { (Int($0.key) ?? 0) > (Int($1.key) ?? 0) }
            .map { "p\($0.key) \($0.value)" }
        Output.fields([
            ("node", statistics.nodeID),
            ("home", node.homePath),
            ("agents", "\(statistics.totalAgents)"),
            ("workflows", "\(statistics.totalWorkflows)"),
            ("executions", "\(statistics.totalExecutions)"),
            ("agents by status", summary(runner.agentsByStatus) + " (\(runner.agentsOnThisNode) on this node)"),
            ("runs here", summary(runner.runsByStatus)),
            (
                "next runs",
                runner.upcoming.isEmpty
                    ? "none scheduled here"
                    : runner.upcoming.prefix(5).map {
                        "\($0.workflowID) at \(ISO8601DateFormatter().string(from: $0.at))"
                    }
                    .joined(separator: ", ")
            ),
            ("sync queue", summary(statistics.syncQueue)),
            ("pending by priority", byPriority.isEmpty ? "none" : byPriority.joined(separator: ", ")),
            ("conflicts", summary(statistics.conflicts)),
            ("synced tables", statistics.trackedTables.joined(separator: ", ")),
            ("store size", String(format: "%.2f MB", statistics.databaseSizeMB)),
            ("hub", sync.remote ?? "none (outpost remote set URL --token-file FILE)"),
            ("last sync", sync.lastSyncMilliseconds.map { Self.describe(milliseconds: $0) } ?? "never"),
            (
                "synced",
                "\(sync.changesPushed) pushed, \(sync.rowsPulled) pulled, \(sync.conflictsMerged) merged, "
                    + "\(sync.conflictsParked) parked, \(sync.failedChanges) failed, \(sync.errors) error(s)"
            ),
            (
                "traffic",
                "\(sync.bytesSent) B sent, \(sync.bytesReceived) B received, \(sync.bytesToday) B today"
            ),
            ("critical pending", "\(sync.criticalPending)"),
            (
                "link at last push",
                sync.latencyMilliseconds.map { String(format: "%.1f ms round trip", $0) }.map {
                    "\($0), batches of \(sync.batchSize ?? 0)"
                } ?? "not measured yet"
            ),
        ])
    }

    private static func describe(milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let seconds = Int(Date().timeIntervalSince(date))
        let formatter = ISO8601DateFormatter()
        return "\(formatter.string(from: date)) (\(seconds) s ago)"
    }
}

/// `outpost status --json`: the store's statistics with the sync engine's under `sync`.
private struct StatusReport: Encodable {
    var store: StoreStatistics
    var sync: SyncStatistics
    var runner: RunnerStatistics

    func encode(to encoder: any Encoder) throws {
        try store.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(sync, forKey: Key(stringValue: "sync")!)
        try container.encode(runner, forKey: Key(stringValue: "runner")!)
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
