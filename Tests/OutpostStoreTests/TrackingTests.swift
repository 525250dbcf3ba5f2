import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

@Suite("Tracking user tables")
struct TrackingTests {
    @Test("a tracked user table is captured with its own priority; untracking stops capture")
    func tracksUserTable() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE readings (id TEXT PRIMARY KEY, value REAL, status TEXT)")
        let tracked = try fixture.store.track("Readings", priority: 3)
        #expect(tracked.name == "readings" && tracked.keyColumns == ["id"] && tracked.priority == 3)
        _ = try fixture.store.execute(
            sql: "INSERT INTO readings VALUES ('r1', 1.5, 'ok'); INSERT INTO readings VALUES ('r2', 9.9, 'critical')"
        )
        let queue = try fixture.queue()
        #expect(queue.first { $0.record == "r1" }?.priority == 3)
        #expect(queue.first { $0.record == "r2" }?.priority == 10)

        #expect(throws: OutpostError.self) { try fixture.store.untrack("readings") }
        #expect(try fixture.store.untrack("readings", discardingPending: true) == 2)
        _ = try fixture.store.execute(sql: "INSERT INTO readings VALUES ('r3', 1, 'ok')")
        #expect(try fixture.queue().filter { $0.table == "readings" }.isEmpty)
        #expect(try fixture.store.trackedTables().map(\.name) == ["agents", "executions", "files", "workflows"])
    }

    @Test("composite keys are recorded as a JSON array; a changed key is a delete plus a write")
    func compositeKeys() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE stock (site TEXT, sku TEXT, qty INT, PRIMARY KEY (site, sku))")
        try fixture.store.track("stock")
        _ = try fixture.store.execute(sql: "INSERT INTO stock VALUES ('s1', 'k1', 5)")
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
        }
        _ = try fixture.store.execute(sql: "UPDATE stock SET sku = 'k2' WHERE sku = 'k1'")
        let pending = try fixture.queue().filter { $0.status == "pending" }
        #expect(pending.contains { $0.record == #"["s1","k1"]"# && $0.operation == "DELETE" })
        #expect(pending.contains { $0.record == #"["s1","k2"]"# && $0.operation == "UPDATE" })
    }

    @Test("local-only columns are not watched by capture")
    func localColumns() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT, seen_at TEXT)")
        try fixture.store.track("notes", localColumns: ["SEEN_AT"])
        _ = try fixture.store.execute(sql: "INSERT INTO notes VALUES ('n1', 'hi', NULL)")
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
        }
        _ = try fixture.store.execute(sql: "UPDATE notes SET seen_at = 'now'")
        #expect(try fixture.queue().filter { $0.status == "pending" }.isEmpty)
        _ = try fixture.store.execute(sql: "UPDATE notes SET body = 'changed'")
        #expect(try fixture.queue().filter { $0.status == "pending" }.count == 1)
    }

    @Test(
        "tracking is refused clearly and changes nothing",
        arguments: [
            ("nokey", "has no primary key"),
            ("missing", "No table named 'missing'"),
            ("sync_queue", "Outpost's own bookkeeping"),
            ("agents", "core tables"),
            ("v", "is a view"),
        ]
    )
    func refusesBadTables(table: String, message: String) throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE nokey (a TEXT, b TEXT); CREATE VIEW v AS SELECT 1")
        let before = try fixture.snapshot()
        #expect {
            try fixture.store.track(table)
        } throws: { error in
            "\(error)".contains(message)
        }
        #expect(try fixture.snapshot() == before)
    }

    @Test("an unknown local column or a bad priority is refused and changes nothing")
    func refusesBadSettings() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT)")
        let before = try fixture.snapshot()
        #expect(throws: OutpostError.self) { try fixture.store.track("t", localColumns: ["nope"]) }
        #expect(throws: OutpostError.self) { try fixture.store.track("t", localColumns: ["id"]) }
        #expect(throws: OutpostError.self) { try fixture.store.track("t", priority: 11) }
        #expect(try fixture.snapshot() == before)
    }

    @Test("odd but legal table names are quoted, never spliced raw")
    func quotesNames() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.execute(sql: #"CREATE TABLE "we""ird; name" ("k'ey" TEXT PRIMARY KEY, v TEXT)"#)
        try fixture.store.track(#"we"ird; name"#)
        _ = try fixture.store.execute(sql: #"INSERT INTO "we""ird; name" VALUES ('x''y', 'v')"#)
        #expect(try fixture.queue().map(\.record) == ["x'y"])
    }
}

extension TrackingTests {
    @Test("tracking a large table queues every existing row in chunks, reporting progress")
    func largeTableQueuesWithProgress() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let rows = 2 * CaptureTriggers.queueChunk + 17
        _ = try fixture.store.execute(
            sql: """
                CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
                INSERT INTO readings SELECT i * 3, i / 2.0 FROM n;
                CREATE TABLE tags (name TEXT PRIMARY KEY, kind TEXT) WITHOUT ROWID;
                INSERT INTO tags VALUES ('a', 'x'), ('b', 'y');
                """
        )
        var reports: [[Int]] = []
        let tracked = try fixture.store.track("readings") { queued, total in reports.append([queued, total]) }
        #expect(tracked.queuedRows == rows)
        #expect(reports == [[100_000, rows], [200_000, rows], [rows, rows]])
        let queued = try fixture.store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(DISTINCT record_id) FROM sync_queue WHERE table_name = 'readings'")
        }
        #expect(queued == rows)

        var small: [[Int]] = []
        #expect(try fixture.store.track("tags") { small.append([$0, $1]) }.queuedRows == 2)
        #expect(small == [[2, 2]])
    }
}

extension TrackingTests {
    /// Applying hub rows switches foreign keys off only for tables a foreign key involves, so the
    /// list must hold every child and every parent, whatever the case of their names.
    @Test("the tables in foreign keys are every child and every parent, lowercased, and no other")
    func tablesInForeignKeys() throws {
        let fixture = try StoreFixture()
        try fixture.store.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE Sites (id TEXT PRIMARY KEY);
                    CREATE TABLE sensors (id TEXT PRIMARY KEY, site TEXT REFERENCES Sites(id));
                    CREATE TABLE readings (id TEXT PRIMARY KEY, value REAL);
                    """
            )
        }
        let tables = try fixture.store.read { db in try Store.tablesInForeignKeys(in: db) }
        #expect(tables.isSuperset(of: ["sites", "sensors", "agents", "workflows", "executions"]))
        #expect(!tables.contains("readings") && !tables.contains("Sites"))
    }
}
