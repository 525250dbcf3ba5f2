import Foundation
import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

/// The outbox's rules live in Swift, and the capture triggers' SQL is generated from them; these
/// tests check that the SQL a plain SQLite client runs keeps the Swift rules.
@Suite("Outbox rules")
struct OutboxTests {
    @Test("the generated coalescing SQL gives QueueOperation.then for every pair")
    func coalescingTable() throws {
        let queue = try DatabaseQueue()
        for earlier in QueueOperation.allCases {
            for later in QueueOperation.allCases {
                let sql = QueueOperation.coalescingSQL(earlier: "'\(earlier.rawValue)'", later: "'\(later.rawValue)'")
                let value = try queue.read { db in try String.fetchOne(db, sql: "SELECT \(sql)") }
                #expect(value == earlier.then(later).rawValue, "\(earlier) then \(later)")
            }
        }
    }

    @Test(
        "random writes from a plain connection coalesce as QueueOperation.then says",
        arguments: [1, 2, 3] as [UInt64]
    )
    func triggerCoalescesLikeSwift(seed: UInt64) throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.write { db in try db.execute(sql: "CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER)") }
        try fixture.store.track("items")
        var random = SplitMix64(seed: seed)
        var exists: [String: Bool] = [:]
        var expected: [String: QueueOperation] = [:]
        let plain = try DatabaseQueue(path: fixture.path)
        defer { try? plain.close() }
        for _ in 0..<300 {
            let key = "k\(random.next() % 4)"
            let captured: QueueOperation
            switch (exists[key] ?? false, random.next() % 3) {
            case (false, _):
                try plain.write { db in
                    try db.execute(sql: "INSERT INTO items (id, n) VALUES (?, 0)", arguments: [key])
                }
                captured = .insert
                exists[key] = true
            case (true, 0):
                try plain.write { db in try db.execute(sql: "DELETE FROM items WHERE id = ?", arguments: [key]) }
                captured = .delete
                exists[key] = false
            default:
                try plain.write { db in try db.execute(sql: "UPDATE items SET n = n + 1 WHERE id = ?", arguments: [key])
                }
                captured = .update
            }
            expected[key] = expected[key].map { $0.then(captured) } ?? captured
            if random.next() % 10 == 0 {
                // A push: every pending entry is confirmed; the next change starts a new entry.
                try fixture.store.write { db in
                    try Outbox(db).fold()
                    try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
                }
                expected = [:]
            }
            // The seed's view shows the changes still in the capture log, coalesced.
            let shown = try fixture.store.read { db in
                try Row.fetchAll(db, sql: "SELECT record_id, operation FROM pending_sync")
                    .map { ($0[0] as String, $0[1] as String) }
            }
            #expect(Dictionary(uniqueKeysWithValues: shown) == expected.mapValues(\.rawValue))
            // Folded now and then, so the log holds several changes of a row with an entry.
            if random.next() % 4 == 0 {
                let pending = try fixture.queue().filter { $0.status == "pending" }
                #expect(
                    Dictionary(uniqueKeysWithValues: pending.map { ($0.record, $0.operation) })
                        == expected.mapValues(\.rawValue)
                )
            }
        }
    }

    @Test("the trigger's priority and CapturePriority.value agree")
    func priorityRuleAgrees() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.write { db in
            try db.execute(sql: "CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT)")
        }
        try fixture.store.track("jobs", priority: 3)
        let statuses: [String?] = ["critical", "active", nil, "CRITICAL"]
        let priorities = [-4, 0, 1, 7, 10, 99]
        try fixture.store.write { db in
            for (index, status) in statuses.enumerated() {
                try db.execute(sql: "INSERT INTO jobs (id, status) VALUES (?, ?)", arguments: ["j\(index)", status])
            }
            for (index, priority) in priorities.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO files (name, size, hash, modified, priority) VALUES (?, 0, '', 0, ?)
                        """,
                    arguments: ["f\(index)", priority]
                )
            }
        }
        let queue = try fixture.queue()
        try fixture.store.read { db in
            for table in ["jobs", "files"] {
                let schema = try TableSchema.require(table, in: db)
                let tracked = try Store.trackedTables(in: db).first { $0.name == table }!
                let rule = CapturePriority(schema: schema, priority: tracked.priority)
                for entry in queue where entry.table == table {
                    let row = try RowAddress(schema, key: entry.record).read(in: db)
                    #expect(rule.value(of: row) == entry.priority, "\(table)/\(entry.record)")
                }
            }
        }
        #expect(queue.first { $0.record == "j0" }?.priority == 10)
        #expect(queue.first { $0.record == "f5" }?.priority == 10)
        #expect(queue.first { $0.record == "f0" }?.priority == 1)
    }

    /// A hybrid-logical-clock event on a node: a captured write, a change the engine queues
    /// itself, or a remote stamp folded in.
    private enum ClockEvent {
        case capture(key: String)
        case enqueue(key: String)
        case remote(offsetMilliseconds: Int64)
        case push
    }

    @Test(
        "SQL stamps keep the Swift clock's rules: above the floor, growing per row, remote stamps clamped",
        arguments: Array(UInt64(1)...UInt64(8))
    )
    func clockProperty(seed: UInt64) throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.write { db in try db.execute(sql: "CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER)") }
        try fixture.store.track("items")
        var random = SplitMix64(seed: seed)
        var lastStamp: [String: Int64] = [:]
        let drift = HybridLogicalClock.defaultMaximumDrift
        for _ in 0..<60 {
            let key = "k\(random.next() % 3)"
            let event: ClockEvent =
                switch random.next() % 4 {
                case 0: .capture(key: key)
                case 1: .enqueue(key: key)
                case 2:
                    // From an hour behind to three hours ahead: beyond the drift limit too.
                    .remote(offsetMilliseconds: Int64(random.next() % (4 * drift)) - Int64(drift))
                default: .push
                }
            try fixture.store.write { db in
                let floor = ClockFloor(db)
                let before = try floor.value()
                let startedAt = WallClock.milliseconds()
                switch event {
                case .capture(let key), .enqueue(let key):
                    if case .capture = event {
                        try db.execute(
                            sql: "INSERT INTO items (id, n) VALUES (?, 0) ON CONFLICT (id) DO UPDATE SET n = n + 1",
                            arguments: [key]
                        )
                    } else {
                        try Outbox(db).enqueue(table: "items", key: key, operation: .update, priority: 5)
                    }
                    let endedAt = WallClock.milliseconds()
                    let stamp = try Outbox(db).pendingEntry(table: "items", key: key)!.hlc
                    // What HybridLogicalClock.tick gives at some instant of the write, or more
                    // when the row's entry coalesced and had to grow past its last stamp.
                    let low = max(HybridLogicalClock.pack(startedAt), before + 1)
                    let high = max(HybridLogicalClock.pack(endedAt), before + 1)
                    #expect(stamp > before, "never below the floor")
                    #expect(stamp >= low)
                    if let previous = lastStamp[key] {
                        #expect(stamp > previous, "a row's stamps only grow")
                        #expect(stamp <= max(high, previous + 1))
                    } else {
                        #expect(stamp <= high)
                    }
                    lastStamp[key] = stamp
                case .remote(let offset):
                    let now = startedAt
                    let remote = HybridLogicalClock.pack(UInt64(Int64(now) + offset)) | Int64(random.next() % 100)
                    try floor.observe(remote: remote, now: now)
                    var clock = HybridLogicalClock(node: "n", last: before)
                    let received = clock.receive(HybridTimestamp(packed: remote, node: "r"), now: now)
                    #expect(try floor.value() == max(before, HybridLogicalClock.trusted(remote, now: now)))
                    // The next local stamp is at least what the Swift clock gives after receiving.
                    #expect(try floor.freshStamp() >= received.packed)
                    // A remote stamp never lifts the floor more than the drift past the wall clock.
                    #expect(try floor.value() <= max(before, HybridLogicalClock.pack(now + drift)))
                case .push:
                    // The engine confirms pushed entries and folds their stamps into the floor.
                    for entry in try Outbox(db).pending(minimumPriority: 1, limit: 100) {
                        try Outbox(db).complete(entry.id)
                        try floor.confirm(own: entry.hlc)
                    }
                }
            }
        }
    }

    @Test("sync_status says what the outbox knows, whoever wrote the row (issue 14 case 10)")
    func truthfulSyncStatus() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let store = fixture.store
        _ = try store.addAgent(id: "a1", name: "A", type: "t")
        _ = try store.addWorkflow(id: "w1", name: "W", agentID: "a1")
        #expect(try store.requireAgent(id: "a1").syncStatus == "pending")
        // The hub confirms both: entries completed, the local column set as the engine sets it.
        try store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
            try db.execute(sql: "UPDATE agents SET sync_status = 'synced'")
            try db.execute(sql: "UPDATE workflows SET sync_status = 'synced'")
        }
        #expect(try store.requireAgent(id: "a1").syncStatus == "synced")

        // Edited by a plain SQLite client: the column still says synced, the change waits.
        let plain = try DatabaseQueue(path: fixture.path)
        try plain.write { db in
            try db.execute(sql: "UPDATE agents SET name = 'edited' WHERE id = 'a1'")
            try db.execute(sql: "UPDATE workflows SET name = 'edited' WHERE id = 'w1'")
        }
        try plain.close()
        #expect(try store.requireAgent(id: "a1").syncStatus == "pending")
        #expect(try store.agents().map(\.syncStatus) == ["pending"])
        #expect(try store.workflows().map(\.syncStatus) == ["pending"])

        try store.write { db in try db.execute(sql: "UPDATE sync_queue SET status = 'failed' WHERE record_id = 'a1'") }
        #expect(try store.requireAgent(id: "a1").syncStatus == "error")
        try store.write { db in
            try db.execute(
                sql: "UPDATE sync_queue SET status = 'conflict' WHERE record_id = 'a1' AND status = 'failed'"
            )
        }
        #expect(try store.requireAgent(id: "a1").syncStatus == "conflict")
    }

    @Test("a tracked table dropped and made again queues the rows it holds when it is tracked again")
    func droppedAndRecreatedTable() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.write { db in try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)") }
        #expect(try fixture.store.track("t").queuedRows == 0)
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
            try db.execute(sql: "DROP TABLE t")
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)")
            // No triggers now: these writes are not captured.
            try db.execute(sql: "INSERT INTO t VALUES ('a', 1), ('b', 2)")
        }
        #expect(try fixture.queue().filter { $0.status == "pending" }.isEmpty)
        #expect(try fixture.store.track("t").queuedRows == 2)
        #expect(try fixture.queue().filter { $0.status == "pending" }.map(\.record).sorted() == ["a", "b"])
    }

    @Test("migration v6 opens a store whose tracked table was dropped, and records the others' columns")
    func migrationSixWithDroppedTable() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.appending("store.sqlite")
        let pool = try DatabasePool(path: path)
        try StoreSchema.migrator.migrate(pool, upTo: "v5: file index and chunks")
        try pool.write { db in
            for name in ["kept", "gone"] {
                try db.execute(sql: "CREATE TABLE \(name) (id TEXT PRIMARY KEY, n INTEGER, note TEXT)")
                _ = try CaptureTriggers.track(table: name, priority: 5, localColumns: ["note"], in: db)
            }
            try db.execute(sql: "DROP TABLE gone")
        }
        try pool.close()
        let store = try Store(path: path)
        let known = try store.read { db in
            [try Store.knownColumns(of: "kept", in: db), try Store.knownColumns(of: "gone", in: db)]
        }
        #expect(known[0] == ["id", "n"])
        #expect(known[1] == nil)
    }

    @Test("no source file outside OutpostStore/Outbox and the schema migrations queries the outbox's tables")
    func outboxHasOneOwner() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let pattern = try Regex(
            #"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+(sync_queue|outpost_capture|outpost_sent_batches|outpost_clock|outpost_sync_rows)\b"#
        )
        .ignoresCase()
        let allowed = ["OutpostStore/Outbox/", "OutpostStore/StoreSchema.swift"]
        var offenders: [String] = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        #expect(files.count > 50, "the Sources folder was found")
        for file in files where file.hasSuffix(".swift") && !allowed.contains(where: file.hasPrefix) {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") && line.contains(pattern) {
                offenders.append("\(file):\(number + 1)")
            }
        }
        #expect(offenders.isEmpty, "query the outbox through OutpostStore's Outbox types: \(offenders)")
    }
}
