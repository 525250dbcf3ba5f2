import Foundation
import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

/// The capture log (`outpost_capture`): a capture trigger appends there, and the outbox folds
/// the log into `sync_queue` before it reads or changes pending entries. Nothing may be lost or
/// reordered on the way, and every reader that cannot fold must see through the log.
@Suite("Capture log")
struct CaptureLogTests {
    private static func count(_ table: String, _ store: Store) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    @Test("a captured write appends to the log and leaves sync_queue alone until the outbox folds it")
    func writesGoToTheLog() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let store = fixture.store
        try store.write { db in try db.execute(sql: "CREATE TABLE readings (id TEXT PRIMARY KEY, n INTEGER)") }
        try store.track("readings")
        try store.write { db in
            try db.execute(sql: "INSERT INTO readings VALUES ('r1', 1), ('r2', 2), ('r3', 3)")
            try db.execute(sql: "UPDATE readings SET n = 10 WHERE id = 'r1'")
            try db.execute(sql: "DELETE FROM readings WHERE id = 'r2'")
        }
        #expect(try Self.count("sync_queue", store) == 0)
        #expect(try Self.count("outpost_capture", store) == 5)

        let pending = try store.write { db in try Outbox(db).pending(minimumPriority: 1, limit: 10) }
        #expect(pending.map(\.key).sorted() == ["r1", "r2", "r3"])
        #expect(try Self.count("outpost_capture", store) == 0)
        #expect(
            try fixture.queue().map { "\($0.record) \($0.operation)" }.sorted()
                == ["r1 INSERT", "r2 DELETE", "r3 INSERT"]
        )
    }

    @Test("pending_sync and the fold agree with QueueOperation.then for every row history of up to four changes")
    func viewAndFoldAgreeWithThen() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let operations = QueueOperation.allCases
        var histories: [[QueueOperation]] = [[]]
        var all: [[QueueOperation]] = []
        for _ in 1...4 {
            histories = histories.flatMap { history in operations.map { history + [$0] } }
            all += histories
        }
        for entry in [nil] + operations.map(Optional.some) {
            for logged in all {
                let steps = (entry.map { [$0] } ?? []) + logged
                let expected = steps.dropFirst().reduce(steps[0]) { $0.then($1) }
                let (shown, folded) = try fixture.store.write { db in
                    try db.execute(sql: "DELETE FROM sync_queue; DELETE FROM outpost_capture")
                    if let entry {
                        try db.execute(
                            sql: """
                                INSERT INTO sync_queue (table_name, record_id, operation, priority, hlc)
                                VALUES ('t', 'k', ?, 1, 1)
                                """,
                            arguments: [entry]
                        )
                    }
                    for (index, operation) in logged.enumerated() {
                        try db.execute(
                            sql: """
                                INSERT INTO outpost_capture (table_name, record_id, operation, priority, hlc)
                                VALUES ('t', 'k', ?, ?, ?)
                                """,
                            arguments: [operation, index + 2, index + 2]
                        )
                    }
                    let shown = try Row.fetchAll(db, sql: "SELECT operation, priority FROM pending_sync")
                        .map { "\($0[0] as String) \($0[1] as Int)" }
                    try Outbox(db).fold()
                    let folded = try Row.fetchAll(
                        db,
                        sql: "SELECT operation, priority FROM sync_queue WHERE status = 'pending'"
                    ).map { "\($0[0] as String) \($0[1] as Int)" }
                    return (shown, folded)
                }
                let want = ["\(expected.rawValue) \(logged.count + 1)"]
                #expect(shown == want, "entry \(String(describing: entry)), logged \(logged)")
                #expect(folded == want, "entry \(String(describing: entry)), logged \(logged)")
            }
        }
    }

    @Test("folding keeps a row's stamps growing and dates its entry by its first change")
    func foldKeepsStampsGrowing() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let store = fixture.store
        try store.write { db in try db.execute(sql: "CREATE TABLE readings (id TEXT PRIMARY KEY, n INTEGER)") }
        try store.track("readings")
        // Three changes in one transaction: the floor does not move, so their stamps may be equal.
        let stamps = try store.write { db in
            try db.execute(sql: "INSERT INTO readings VALUES ('r1', 1)")
            try db.execute(sql: "UPDATE readings SET n = 2 WHERE id = 'r1'")
            try db.execute(sql: "UPDATE readings SET n = 3 WHERE id = 'r1'")
            return try Int64.fetchAll(db, sql: "SELECT hlc FROM outpost_capture ORDER BY id")
        }
        #expect(stamps.count == 3)
        let expected = stamps.dropFirst().reduce(stamps[0]) { max($1, $0 + 1) }
        let entry = try store.write { db in
            try Outbox(db).fold()
            return try Row.fetchOne(db, sql: "SELECT hlc, created_at FROM sync_queue WHERE record_id = 'r1'")
                .map { (hlc: $0["hlc"] as Int64, createdAt: $0["created_at"] as String) }
        }
        #expect(entry?.hlc == expected)
        #expect(expected >= stamps[0] + 2)
        let firstChange = Date(
            timeIntervalSince1970: Double(HybridTimestamp(packed: stamps[0], node: "").milliseconds / 1000)
        )
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyy-MM-dd HH:mm:ss"
        #expect(entry?.createdAt == format.string(from: firstChange))
    }

    @Test("reads on a snapshot see changes still in the log: counts, sync_status, unsent and unconfirmed")
    func readsSeeThroughTheLog() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let store = fixture.store
        _ = try store.addAgent(id: "a1", name: "Scout", type: "vision")
        #expect(try Self.count("outpost_capture", store) == 1)
        #expect(try store.requireAgent(id: "a1").syncStatus == "pending")
        struct Seen: Sendable, Equatable {
            var unsent: Bool
            var unsentCount: Int
            var byStatus: [String: Int]
            var byPriority: [String: Int]
            var unconfirmed: Int
            var statuses: [String: QueueStatus]
            var stamped: Bool
        }
        func seen(_ db: Database) throws -> Seen {
            let outbox = Outbox(db)
            return Seen(
                unsent: try outbox.hasUnsent(),
                unsentCount: try outbox.unsentCount(),
                byStatus: try outbox.countsByStatus(),
                byPriority: try outbox.countsByPriority(of: [.pending]),
                unconfirmed: try outbox.unconfirmedCount(table: "agents"),
                statuses: try outbox.unconfirmedStatuses(table: "agents"),
                stamped: try outbox.newestUnconfirmedStamp(table: "agents", key: "a1") > 0
            )
        }
        let pending = Seen(
            unsent: true,
            unsentCount: 1,
            byStatus: ["pending": 1],
            byPriority: ["5": 1],
            unconfirmed: 1,
            statuses: ["a1": .pending],
            stamped: true
        )
        #expect(try store.read(seen) == pending)
        // What the engine sees once the log is folded is the same.
        let folded = try store.write { db in
            try Outbox(db).fold()
            return try seen(db)
        }
        #expect(folded == pending)
        #expect(try Self.count("outpost_capture", store) == 0)
        let confirmed = try store.write { db in
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
            return try seen(db)
        }
        #expect(!confirmed.unsent && confirmed.unsentCount == 0 && confirmed.byStatus == ["completed": 1])
    }

    @Test("a long capture log is folded by the store's next write transaction")
    func longLogIsFolded() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let store = fixture.store
        try store.write { db in try db.execute(sql: "CREATE TABLE readings (id INTEGER PRIMARY KEY, n INTEGER)") }
        try store.track("readings")
        let rows = Int(Outbox.longLog) + 1
        // Written by another program, which never folds.
        let plain = try DatabaseQueue(path: fixture.path)
        try plain.write { db in
            for id in 0..<rows { try db.execute(sql: "INSERT INTO readings VALUES (?, 0)", arguments: [id]) }
            try db.execute(sql: "UPDATE readings SET n = 1")
        }
        try plain.close()
        #expect(try Self.count("outpost_capture", store) == 2 * rows)
        try store.write { _ in }
        #expect(try Self.count("outpost_capture", store) == 0)
        #expect(try Self.count("sync_queue WHERE status = 'pending' AND operation = 'INSERT'", store) == rows)
    }

    @Test("migration v10 moves an older store's capture to the log and keeps its queue")
    func migrationTen() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.appending("store.sqlite")
        let pool = try DatabasePool(path: path)
        try StoreSchema.migrator.migrate(pool, upTo: "v9: capture without IN lists")
        try pool.write { db in
            // A table tracked before v10: its trigger upserts into sync_queue, as v9's did.
            try db.execute(
                sql: """
                    DROP TABLE IF EXISTS outpost_capture;
                    CREATE TABLE readings (id TEXT PRIMARY KEY, n INTEGER);
                    INSERT INTO outpost_tracked_tables (table_name, priority, key_columns, local_columns)
                    VALUES ('readings', 3, '["id"]', '[]');
                    CREATE TRIGGER "outpost_capture_readings_insert" AFTER INSERT ON readings
                    WHEN NOT EXISTS (SELECT 1 FROM outpost_applying)
                    BEGIN
                        INSERT INTO sync_queue (table_name, record_id, operation, priority, hlc)
                        VALUES ('readings', NEW.id, 'INSERT', 3, 1)
                        ON CONFLICT (table_name, record_id) WHERE status = 'pending' DO NOTHING;
                    END;
                    INSERT INTO readings VALUES ('before', 1);
                    """
            )
        }
        try pool.close()

        let store = try Store(path: path)
        let trigger = try store.read { db in
            try String.fetchOne(
                db,
                sql: "SELECT sql FROM sqlite_master WHERE name = 'outpost_capture_readings_insert'"
            )
        }
        #expect(trigger?.contains("INSERT INTO outpost_capture") == true)
        try store.write { db in try db.execute(sql: "INSERT INTO readings VALUES ('after', 2)") }
        #expect(try Self.count("outpost_capture", store) == 1)
        let shown = try store.read { db in
            try String.fetchAll(db, sql: "SELECT record_id || ' ' || priority FROM pending_sync ORDER BY record_id")
        }
        #expect(shown == ["after 3", "before 3"])
        #expect(try foldedQueue(store) == ["after INSERT pending", "before INSERT pending"])
    }

    private func foldedQueue(_ store: Store) throws -> [String] {
        try store.write { db in
            try Outbox(db).fold()
            return try String.fetchAll(
                db,
                sql: "SELECT record_id || ' ' || operation || ' ' || status FROM sync_queue ORDER BY record_id"
            )
        }
    }
}
