package import GRDB
import Logging
public import OutpostCore

extension Store {
    /// The seed's maintenance: `ANALYZE`, delete old completed queue entries and old resolved
    /// conflicts, then `PRAGMA incremental_vacuum`.
    ///
    /// Pending, processing and failed queue entries are never deleted: they are writes the hub
    /// has not confirmed. A completed entry's age counts from its last attempt (when it was
    /// confirmed), not from when it was queued.
    public func runMaintenance(policy: MaintenancePolicy = MaintenancePolicy()) throws(OutpostError)
        -> MaintenanceReport
    {
        let report: MaintenanceReport
        do {
            report = try pool.writeWithoutTransaction { db in try Self.maintain(db, policy: policy) }
        } catch {
            throw OutpostError(database: error, path: path)
        }
        log(report)
        return report
    }

    /// ``runMaintenance(policy:)`` for async callers (the daemon): it runs on GRDB's writer
    /// queue while the caller waits suspended.
    public func runMaintenance(policy: MaintenancePolicy = MaintenancePolicy()) async throws(OutpostError)
        -> MaintenanceReport
    {
        let report: MaintenanceReport
        do {
            report = try await pool.writeWithoutTransaction { db in try Self.maintain(db, policy: policy) }
        } catch {
            throw OutpostError(database: error, path: path)
        }
        log(report)
        return report
    }

    /// The deletions and `ANALYZE` in one transaction, then the vacuum and a checkpoint, which
    /// cannot run inside a transaction other statements opened.
    private static func maintain(_ db: Database, policy: MaintenancePolicy) throws -> MaintenanceReport {
        var report = MaintenanceReport(
            deletedQueueEntries: 0,
            deletedConflicts: 0,
            reclaimedPages: 0,
            analyzed: true,
            sizeBeforeBytes: try sizeBytes(db),
            sizeAfterBytes: 0
        )
        try db.inTransaction {
            report.deletedQueueEntries = try Outbox(db).purgeCompleted(
                olderThanDays: policy.completedQueueRetentionDays
            )
            try db.execute(
                sql: """
                    DELETE FROM conflict_resolution
                    WHERE status = 'resolved' AND coalesce(resolved_at, created_at) < datetime('now', '-' || ? || ' days')
                    """,
                arguments: [policy.resolvedConflictRetentionDays]
            )
            report.deletedConflicts = db.changesCount
            report.prunedExecutions = try pruneExecutions(olderThanDays: policy.executionRetentionDays, in: db)
            try db.execute(sql: "ANALYZE")
            return .commit
        }
        let freeBefore = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        try db.execute(sql: "PRAGMA incremental_vacuum(\(max(0, policy.vacuumPageLimit)))")
        let freeAfter = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        try db.checkpoint(.truncate)
        report.reclaimedPages = freeBefore - freeAfter
        report.sizeAfterBytes = try sizeBytes(db)
        return report
    }

    /// Removes finished executions that ended more than `days` ago from this node only: the
    /// deletes are not captured (the hub keeps the runs), each is recorded in
    /// `outpost_pruned_rows` (so it still counts in `workflows.execution_count` and `outpost
    /// verify` explains its absence), and an execution with local work not yet confirmed is kept.
    private static func pruneExecutions(olderThanDays days: Int, in db: Database) throws -> Int {
        let finished = ExecutionStatus.allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let ids = try String.fetchAll(
            db,
            sql: """
                SELECT id FROM executions
                WHERE status IN (\(finished)) AND completed_at < datetime('now', '-' || ? || ' days')
                """,
            arguments: [days]
        )
        let outbox = Outbox(db)
        var pruned = 0
        try db.execute(sql: "INSERT INTO outpost_applying (id) VALUES (1)")
        for id in ids where try !outbox.isDirty(table: "executions", key: id) {
            try db.execute(
                sql: "INSERT OR REPLACE INTO outpost_pruned_rows (table_name, record_id) VALUES ('executions', ?)",
                arguments: [id]
            )
            try db.execute(sql: "DELETE FROM executions WHERE id = ?", arguments: [id])
            try BaseRows(db).forget(table: "executions", key: id)
            pruned += 1
        }
        try db.execute(sql: "DELETE FROM outpost_applying")
        return pruned
    }

    /// The keys of `table`'s rows that retention removed from this node.
    package static func prunedKeys(of table: String, in db: Database) throws -> Set<String> {
        Set(
            try String.fetchAll(
                db,
                sql: "SELECT record_id FROM outpost_pruned_rows WHERE table_name = ?",
                arguments: [table]
            )
        )
    }

    private func log(_ report: MaintenanceReport) {
        logger.info(
            "Maintenance done",
            metadata: [
                "store.maintenance.queue_deleted": "\(report.deletedQueueEntries)",
                "store.maintenance.conflicts_deleted": "\(report.deletedConflicts)",
                "store.maintenance.pages_reclaimed": "\(report.reclaimedPages)",
            ]
        )
    }

    private static func sizeBytes(_ db: Database) throws -> Int {
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
        return pages * pageSize
    }
}
