import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

@Suite("Maintenance and statistics")
struct MaintenanceTests {
    @Test("maintenance deletes only old finished bookkeeping and reports it")
    func deletesOldFinishedEntries() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sync_queue (table_name, record_id, operation, status, last_attempt, hlc) VALUES
                        ('agents', 'old-done', 'UPDATE', 'completed', datetime('now', '-8 days'), 1),
                        ('agents', 'new-done', 'UPDATE', 'completed', datetime('now', '-1 days'), 2),
                        ('agents', 'old-pending', 'UPDATE', 'pending', NULL, 3),
                        ('agents', 'old-failed', 'UPDATE', 'failed', datetime('now', '-90 days'), 4);
                    UPDATE sync_queue SET created_at = datetime('now', '-60 days');
                    INSERT INTO conflict_resolution (table_name, record_id, status, resolved_at) VALUES
                        ('agents', 'c-old', 'resolved', datetime('now', '-31 days')),
                        ('agents', 'c-new', 'resolved', datetime('now', '-2 days')),
                        ('agents', 'c-open', 'pending', NULL);
                    """
            )
        }
        let report = try fixture.store.runMaintenance()
        #expect(report.deletedQueueEntries == 1)
        #expect(report.deletedConflicts == 1)
        #expect(report.analyzed)
        let remaining = try fixture.store.read { db in
            try String.fetchAll(db, sql: "SELECT record_id FROM sync_queue ORDER BY record_id")
        }
        #expect(remaining == ["new-done", "old-failed", "old-pending"])
        let conflicts = try fixture.store.read { db in
            try String.fetchAll(db, sql: "SELECT record_id FROM conflict_resolution ORDER BY record_id")
        }
        #expect(conflicts == ["c-new", "c-open"])
    }

    @Test("incremental vacuum returns free pages to the file system")
    func vacuums() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE junk (id INTEGER PRIMARY KEY, blob TEXT)")
        _ = try fixture.store.execute(
            sql:
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO junk SELECT i, printf('%.2000c', 'x') FROM n"
        )
        _ = try fixture.store.execute(sql: "DELETE FROM junk")
        let report = try fixture.store.runMaintenance()
        #expect(report.reclaimedPages > 0)
        #expect(report.sizeAfterBytes < report.sizeBeforeBytes)
    }

    @Test("statistics count rows, queue entries by status and priority, and conflicts")
    func statistics() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t", status: "critical")
        _ = try fixture.store.addAgent(id: "a2", name: "B", type: "t")
        _ = try fixture.store.addWorkflow(name: "W", agentID: "a1")
        let statistics = try fixture.store.statistics()
        #expect(statistics.totalAgents == 2 && statistics.totalWorkflows == 1 && statistics.totalExecutions == 0)
        #expect(statistics.syncQueue == ["pending": 3])
        #expect(statistics.pendingByPriority == ["10": 1, "5": 2])
        #expect(statistics.nodeID == fixture.store.nodeID)
        #expect(statistics.databaseSizeMB > 0)
    }
}
