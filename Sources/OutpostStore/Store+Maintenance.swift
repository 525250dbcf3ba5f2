import GRDB
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
        let sizeBefore = try databaseSizeBytes()
        var report = try write { db in
            let queue = try Outbox(db).purgeCompleted(olderThanDays: policy.completedQueueRetentionDays)
            try db.execute(
                sql: """
                    DELETE FROM conflict_resolution
                    WHERE status = 'resolved' AND coalesce(resolved_at, created_at) < datetime('now', '-' || ? || ' days')
                    """,
                arguments: [policy.resolvedConflictRetentionDays]
            )
            let conflicts = db.changesCount
            try db.execute(sql: "ANALYZE")
            return MaintenanceReport(
                deletedQueueEntries: queue,
                deletedConflicts: conflicts,
                reclaimedPages: 0,
                analyzed: true,
                sizeBeforeBytes: sizeBefore,
                sizeAfterBytes: 0
            )
        }
        // incremental_vacuum cannot run inside a transaction that other statements opened.
        do {
            report.reclaimedPages = try pool.writeWithoutTransaction { db in
                let freeBefore = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                try db.execute(sql: "PRAGMA incremental_vacuum(\(max(0, policy.vacuumPageLimit)))")
                let freeAfter = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                try db.checkpoint(.truncate)
                return freeBefore - freeAfter
            }
        } catch {
            throw OutpostError(database: error, path: path)
        }
        report.sizeAfterBytes = try databaseSizeBytes()
        logger.info(
            "Maintenance done",
            metadata: [
                "store.maintenance.queue_deleted": "\(report.deletedQueueEntries)",
                "store.maintenance.conflicts_deleted": "\(report.deletedConflicts)",
                "store.maintenance.pages_reclaimed": "\(report.reclaimedPages)",
            ]
        )
        return report
    }

    func databaseSizeBytes() throws(OutpostError) -> Int {
        try read { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return pages * pageSize
        }
    }
}
