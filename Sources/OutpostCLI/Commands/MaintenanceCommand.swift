import ArgumentParser
import OutpostCore
import OutpostStore

struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "ANALYZE, delete old finished bookkeeping, and return free pages to the disk.",
        discussion: """
            Deletes completed queue entries older than 7 days and resolved conflicts older than 30 \
            (the seed's retention), and removes from this node the workflow runs that ended more \
            than 30 days ago (the hub keeps them; the removal does not sync). Unconfirmed changes \
            are never deleted.

            Example:
              outpost maintenance
              outpost maintenance --queue-days 1 --json
            """
    )

    @OptionGroup var node: NodeOptions
    @Option(help: "Keep completed queue entries this many days.") var queueDays = 7
    @Option(help: "Keep resolved conflicts this many days.") var conflictDays = 30
    @Option(help: "Keep finished executions on this node this many days.") var executionDays = 30
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard queueDays >= 0, conflictDays >= 0, executionDays >= 0 else {
            throw ValidationError("--queue-days, --conflict-days and --execution-days must be 0 or more.")
        }
    }

    func run() throws {
        var policy = MaintenancePolicy()
        policy.completedQueueRetentionDays = queueDays
        policy.resolvedConflictRetentionDays = conflictDays
        policy.executionRetentionDays = executionDays
        let report = try node.openStore().runMaintenance(policy: policy)
        if output.json {
            Output.json(report)
            return
        }
        print("analyzed: query planner statistics refreshed")
        print(
            "deleted \(report.deletedQueueEntries) completed queue entr\(report.deletedQueueEntries == 1 ? "y" : "ies")"
        )
        print("deleted \(report.deletedConflicts) resolved conflict(s)")
        print("removed \(report.prunedExecutions) finished execution(s) from this node (the hub keeps them)")
        print(
            "reclaimed \(report.reclaimedPages) free page(s); store \(report.sizeBeforeBytes) → \(report.sizeAfterBytes) bytes"
        )
    }
}
