import Foundation
import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

/// What every captured write pays for: SQLite runs the capture trigger and checks the outbox's
/// index conditions on each insert, so neither may hold an `IN (…)` list of three or more values
/// (SQLite builds a temporary table for one each time it evaluates it; measured at a third of a
/// captured write, BENCHMARKS.md).
@Suite("Capture cost")
struct CaptureCostTests {
    /// The SQL of the capture triggers and the outbox's indexes that holds an `IN (` list.
    private static func inLists(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT name FROM sqlite_master
                WHERE ((type = 'trigger' AND name LIKE 'outpost_capture_%') OR (type = 'index' AND tbl_name = 'sync_queue'))
                  AND sql LIKE '% IN (%'
                ORDER BY name
                """
        )
    }

    @Test("no capture trigger and no outbox index evaluates an IN list on a captured write")
    func noInListsOnCapture() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.write { db in
            try db.execute(sql: "CREATE TABLE readings (id TEXT PRIMARY KEY, status TEXT, value REAL)")
        }
        _ = try fixture.store.track("readings")
        #expect(try fixture.store.read(Self.inLists) == [])
        // The rule the triggers write as comparisons still raises a failed run to critical.
        try fixture.store.write { db in
            try db.execute(sql: "INSERT INTO workflows (id, name, definition) VALUES ('w1', 'w', '{}')")
            try db.execute(sql: "INSERT INTO executions (id, workflow_id, status) VALUES ('e1', 'w1', 'interrupted')")
            try db.execute(sql: "INSERT INTO executions (id, workflow_id, status) VALUES ('e2', 'w1', 'completed')")
            try db.execute(sql: "INSERT INTO readings (id, status) VALUES ('r1', 'critical'), ('r2', 'ok')")
        }
        let priorities = Dictionary(uniqueKeysWithValues: try fixture.queue().map { ($0.record, $0.priority) })
        #expect(priorities["e1"] == CapturePriority.critical)
        #expect(priorities["e2"] == 5)
        #expect(priorities["r1"] == CapturePriority.critical)
        #expect(priorities["r2"] == 5)
    }

    @Test("the pull's per-row checks search the outbox's partial index for held entries")
    func heldChecksUseTheIndex() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let plans = try fixture.store.read { db in
            try [
                "AND \(Outbox.heldCondition)",
                "AND status = 'processing'",
                "AND status = 'failed'",
            ].map { condition in
                try Row.fetchAll(
                    db,
                    sql:
                        "EXPLAIN QUERY PLAN SELECT 1 FROM sync_queue WHERE table_name = 't' AND record_id = 'k' \(condition)"
                ).map { $0["detail"] as String }.joined(separator: "; ")
            }
        }
        for plan in plans {
            #expect(plan.contains("USING INDEX idx_sync_queue_held_row"), "\(plan)")
        }
    }

    @Test("migration v9 opens an older store with capture rewritten, its queue and priorities kept")
    func migrationNine() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.appending("store.sqlite")
        let pool = try DatabasePool(path: path)
        try StoreSchema.migrator.migrate(pool, upTo: "v8: chunks in pack files")
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE readings (id TEXT PRIMARY KEY, status TEXT)")
            _ = try CaptureTriggers.track(table: "readings", priority: 3, localColumns: [], in: db)
            try db.execute(sql: "INSERT INTO readings VALUES ('before', 'critical')")
            try db.execute(
                sql:
                    "INSERT INTO sync_queue (table_name, record_id, operation, status) VALUES ('readings', 'x', 'UPDATE', 'failed')"
            )
        }
        #expect(try pool.read(Self.inLists).count > 0, "a store before v9 has IN lists to rewrite")
        try pool.close()

        let store = try Store(path: path)
        #expect(try store.read(Self.inLists) == [])
        try store.write { db in try db.execute(sql: "INSERT INTO readings VALUES ('after', 'ok')") }
        let entries = try store.write { db in
            try Outbox(db).fold()
            return try Row.fetchAll(
                db,
                sql: "SELECT record_id, priority, status FROM sync_queue WHERE table_name = 'readings'"
            )
            .map { "\($0["record_id"] as String) \($0["priority"] as Int) \($0["status"] as String)" }.sorted()
        }
        #expect(entries == ["after 3 pending", "before 10 pending", "x 5 failed"])
        #expect(try store.write { db in try Outbox(db).isDirty(table: "readings", key: "x") })
    }
}
