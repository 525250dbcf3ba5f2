import ArgumentParser
import Foundation
import OutpostCore
import OutpostStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the node: rows, the sync queue by status and priority, conflicts, store size.",
        discussion: """
            Example:
              outpost status
              outpost status --json | jq '.sync_queue.pending'
            """
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try node.openStore()
        let statistics = try store.statistics()
        if output.json {
            Output.json(statistics)
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
            ("sync queue", summary(statistics.syncQueue)),
            ("pending by priority", byPriority.isEmpty ? "none" : byPriority.joined(separator: ", ")),
            ("conflicts", summary(statistics.conflicts)),
            ("synced tables", statistics.trackedTables.joined(separator: ", ")),
            ("store size", String(format: "%.2f MB", statistics.databaseSizeMB)),
        ])
    }
}
