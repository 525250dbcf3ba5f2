import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync
import Testing

/// Writes that vanished silently on an earlier main (issue 14), each on both hub backends.
@Suite("No silent loss")
struct NoSilentLossTests {
    @Test(
        "a pull does not overwrite a local edit whose change the hub refused; it merges and stays retryable",
        arguments: SyncBackend.allCases
    )
    func failedChangeIsLocalWork(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('x', 'first', 'sensor')")
        try await a.sync()
        try await b.sync()

        // A's edit is refused (a field over the hub's 1 MiB limit) and parked as failed.
        try a.execute(
            "UPDATE agents SET name = 'local', config = ? WHERE id = 'x'",
            [String(repeating: "x", count: 1_100_000)]
        )
        #expect(try await a.sync().failed == 1)
        // Meanwhile B edits another column of the row.
        try b.execute("UPDATE agents SET type = 'camera' WHERE id = 'x'")
        try await b.sync()

        try await a.sync()
        let row = try await a.store.read { db in
            try Row.fetchOne(db, sql: "SELECT name, type, length(config) AS size FROM agents WHERE id = 'x'")
                .map { [$0["name"] as String?, $0["type"] as String?, "\($0["size"] as Int? ?? 0)"] }
        }
        #expect(row?[0] == "local", "A's refused edit is still A's row")
        #expect(row?[1] == "camera", "B's edit merged in")
        #expect(row?[2] == "1100000")
        #expect(try a.store.queueEntries(status: .failed).map(\.key).contains("x"))

        // Fixed and retried, the edit reaches B.
        try a.execute("UPDATE agents SET config = '{}' WHERE id = 'x'")
        #expect(try a.store.retryFailed(ids: nil) >= 1)
        try await a.sync()
        try await b.sync()
        #expect(try b.syncedContents() == a.syncedContents())
        #expect(
            try await b.store.read { db in try String.fetchOne(db, sql: "SELECT name FROM agents WHERE id = 'x'") }
                == "local"
        )
    }
}

extension NoSilentLossTests {
    @Test("rows a table holds before it is tracked sync to the hub and to other nodes", arguments: SyncBackend.allCases)
    func rowsBeforeTrackSync(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute("CREATE TABLE readings (id TEXT PRIMARY KEY, value REAL)")
        }
        try a.execute("INSERT INTO readings VALUES ('before-1', 1.5), ('before-2', 2.5)")
        let tracked = try a.store.track("readings")
        #expect(tracked.queuedRows == 2)
        try b.store.track("readings")
        try a.execute("INSERT INTO readings VALUES ('after', 3.5)")
        #expect(try await a.sync().pushed == 3)
        try await b.sync()
        let keys = try await b.store.read { db in try String.fetchAll(db, sql: "SELECT id FROM readings ORDER BY id") }
        #expect(keys == ["after", "before-1", "before-2"])

        // Tracking again changes settings only: nothing is queued twice.
        #expect(try a.store.track("readings", priority: 2).queuedRows == 0)
        #expect(try a.store.queueEntries(status: .pending).isEmpty)
    }
}

extension NoSilentLossTests {
    /// Every storage class, with edge values, as (column, SQL literal).
    static let exactValues: [(column: String, literal: String)] = [
        ("bin", "X'00FF10'"), ("empty_bin", "X''"), ("real_one", "1.0"), ("untyped_real", "1.0"),
        ("untyped_int", "7"), ("big", "9223372036854775807"), ("small", "-9223372036854775808"),
        ("huge_real", "1e300"), ("unicode", "'zażółć 🧭 \u{202E}'"), ("empty_text", "''"), ("absent", "NULL"),
        ("json_text", "'{\"$blob\": \"AA==\"}'"),
    ]

    @Test(
        "every SQLite storage class arrives as it was written, through the hub and an edit on the other node",
        arguments: SyncBackend.allCases
    )
    func valuesAreExact(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute(
                """
                CREATE TABLE t (id TEXT PRIMARY KEY, bin BLOB, empty_bin BLOB, real_one REAL, untyped_real,
                                untyped_int, big INTEGER, small INTEGER, huge_real REAL, unicode TEXT,
                                empty_text TEXT, absent TEXT, json_text TEXT, note TEXT)
                """
            )
            try node.store.track("t")
        }
        let columns = Self.exactValues.map(\.column).joined(separator: ", ")
        try a.execute(
            "INSERT INTO t (id, \(columns)) VALUES ('r', \(Self.exactValues.map(\.literal).joined(separator: ", ")))"
        )
        func typed(_ node: TestNode) throws -> [String] {
            try node.store.read { db in
                try Self.exactValues.map { column, _ in
                    try String.fetchOne(
                        db,
                        sql: "SELECT typeof(\(column)) || ':' || quote(\(column)) FROM t WHERE id = 'r'"
                    ) ?? "missing"
                }
            }
        }
        let written = try typed(a)
        #expect(written.first == "blob:X'00FF10'")
        try await a.sync()
        try await b.sync()
        #expect(try typed(b) == written)

        // B edits another column; the values come back to A unchanged.
        try b.execute("UPDATE t SET note = 'seen' WHERE id = 'r'")
        try await b.sync()
        try await a.sync()
        #expect(try typed(a) == written)
        #expect(try await a.store.read { db in try String.fetchOne(db, sql: "SELECT note FROM t") } == "seen")
    }
}

extension NoSilentLossTests {
    @Test(
        "a collision settled by the user's own rule needs no person: both nodes converge",
        arguments: SyncBackend.allCases
    )
    func explicitRulesDoNotPark(backend: SyncBackend) async throws {
        var rules = RulesConfiguration.defaults
        rules.entities["items"] = EntityRules(strategy: .auto, rules: [Rule(field: "*", action: .newest)])
        let cluster = try await SyncCluster(backend, nodes: 2, rules: rules)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT, size INTEGER)")
            try node.store.track("items")
        }
        // Both insert the same key while apart: a two-way merge (no base).
        try a.execute("INSERT INTO items VALUES ('same', 'from a', 1)")
        try b.execute("INSERT INTO items VALUES ('same', 'from b', 2)")
        try await a.sync()
        let report = try await b.sync()
        #expect(report.parked == 0)
        try await a.sync()
        #expect(try a.store.conflicts(status: .pending).isEmpty && b.store.conflicts(status: .pending).isEmpty)
        #expect(try a.syncedContents() == b.syncedContents())
        // The newer write (B's) won every field.
        #expect(try await a.store.read { db in try String.fetchOne(db, sql: "SELECT name FROM items") } == "from b")
    }
}

extension NoSilentLossTests {
    @Test(
        "a row written again after its tombstone was collected reaches every node, and so do its edits",
        arguments: SyncBackend.allCases
    )
    func recreatedRowAfterCollection(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('x', 'first', 'sensor')")
        try a.execute("UPDATE agents SET name = 'second' WHERE id = 'x'")
        try await a.sync()
        try a.execute("UPDATE agents SET name = 'third' WHERE id = 'x'")
        try await a.sync()
        try await b.sync()
        try a.execute("DELETE FROM agents WHERE id = 'x'")
        try await a.sync()
        try await b.sync()
        // The hub learns a node has passed a change from the cursor of its next pull.
        try await a.sync()
        try await b.sync()
        try await SyncCluster.outpost(["hub", "gc", "--json"] + cluster.hubArguments)
        // Gone, by this collection or another test's (`hub gc` collects every tenant's, and other
        // tests' tenants share the PostgreSQL database).
        #expect(
            try await cluster.countOnHub(
                "SELECT count(*) FROM outpost_records WHERE record_id = 'x' AND \(cluster.tenantCondition)"
            ) == 0
        )

        // Written again on A: B's base is the old tombstone (version 3).
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('x', 'again', 'sensor')")
        try await a.sync()
        try await b.sync()
        #expect(try b.store.agent(id: "x")?.name == "again")
        try a.execute("UPDATE agents SET name = 'edited again' WHERE id = 'x'")
        try await a.sync()
        try await b.sync()
        #expect(try b.store.agent(id: "x")?.name == "edited again")
        #expect(try b.syncedContents() == a.syncedContents())
    }
}

extension NoSilentLossTests {
    /// Two nodes that both track `badges`, whose `code` each node's SQLite keeps unique.
    static func nodesWithBadges(_ backend: SyncBackend) async throws -> SyncCluster {
        let cluster = try await SyncCluster(backend, nodes: 2)
        for node in cluster.nodes {
            try node.execute("CREATE TABLE badges (id TEXT PRIMARY KEY, code TEXT UNIQUE, holder TEXT)")
            try node.store.track("badges")
        }
        return cluster
    }

    @Test(
        "a pulled row that breaks a local constraint is parked with its reason; the rest of the pull goes on",
        arguments: SyncBackend.allCases
    )
    func constraintViolationIsParked(backend: SyncBackend) async throws {
        let cluster = try await Self.nodesWithBadges(backend)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        // Apart, both give out code 7, under different keys; A also writes rows that are fine.
        try a.execute("INSERT INTO badges VALUES ('a-badge', '7', 'ann'), ('a-other', '8', 'al')")
        try b.execute("INSERT INTO badges VALUES ('b-badge', '7', 'bob')")
        try await a.sync()
        let report = try await b.sync()
        #expect(report.parked == 1)
        #expect(
            try await b.store.read { db in
                try String.fetchOne(db, sql: "SELECT holder FROM badges WHERE id = 'a-other'")
            }
                == "al"
        )
        let parked = try b.store.conflicts(status: .pending)
        #expect(parked.map(\.kind) == [.constraint])
        #expect(parked.first?.key == "a-badge")
        #expect(parked.first?.summary?.contains("UNIQUE constraint failed: badges.code") == true)
        // Later pulls are not stuck on it.
        try a.execute("INSERT INTO badges VALUES ('a-third', '9', 'amy')")
        try await a.sync()
        try await b.sync()
        #expect(try await b.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM badges") } == 3)

        // B renumbers its own badge, then takes the hub's row: both converge.
        try b.execute("UPDATE badges SET code = '70' WHERE id = 'b-badge'")
        try b.store.resolveConflict(id: parked[0].id, choosing: .remote)
        try await b.sync()
        try await a.sync()
        try await b.sync()
        #expect(try a.syncedContents() == b.syncedContents())
        #expect(try b.store.conflicts(status: .pending).isEmpty)
        // A had parked B's first badge too; its renumbered version applied and settled that.
        #expect(try a.store.conflicts(status: .pending).isEmpty)
        #expect(try a.store.conflicts(status: .resolved).map(\.kind) == [.constraint])
    }
}

extension NoSilentLossTests {
    /// The pull's short way writes a hundred rows a statement; one row that breaks a constraint
    /// fails its whole statement, and the page is taken again row by row.
    @Test(
        "a row breaking a local constraint amid a page written a hundred rows a statement is parked alone",
        arguments: SyncBackend.allCases
    )
    func constraintAmidManyRowsIsParkedAlone(backend: SyncBackend) async throws {
        let cluster = try await Self.nodesWithBadges(backend)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try b.execute("INSERT INTO badges VALUES ('b-badge', '150', 'bob')")
        try await b.sync()
        try await a.store.write { db in
            for index in 0..<250 {
                try db.execute(
                    sql: "INSERT INTO badges VALUES (?, ?, 'a')",
                    arguments: [String(format: "a-%03d", index), "\(index)"]
                )
            }
        }
        try await a.sync()
        let report = try await b.sync()
        #expect(report.parked == 1 && report.pulled == 250, "\(report)")
        #expect(try b.store.conflicts(status: .pending).map(\.key) == ["a-150"])
        let held = try await b.store.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM badges WHERE holder = 'a' ORDER BY id")
        }
        #expect(held == (0..<250).filter { $0 != 150 }.map { String(format: "a-%03d", $0) })
    }
}

extension NoSilentLossTests {
    @Test(
        "a node that gains a column late never overwrites the hub's values for it, and is filled in",
        arguments: SyncBackend.allCases
    )
    func olderSchemaKeepsNewerColumns(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT)")
            try node.store.track("t")
        }
        try a.execute("INSERT INTO t VALUES ('r', 'first'), ('s', 'other')")
        try await a.sync()
        try await b.sync()
        try a.execute("ALTER TABLE t ADD COLUMN extra TEXT")
        try a.execute("ALTER TABLE t ADD COLUMN level INTEGER DEFAULT 3")
        try a.execute("UPDATE t SET extra = 'hello', level = 9 WHERE id = 'r'")
        try await a.sync()
        // B does not add the hub's columns by itself: its table keeps its columns.
        try b.store.setAddsHubColumns(false)
        try await b.sync()
        #expect(try await b.store.read { db in try TableSchema.require("t", in: db).columns } == ["id", "name"])

        try b.execute("ALTER TABLE t ADD COLUMN extra TEXT")
        try b.execute("ALTER TABLE t ADD COLUMN level INTEGER DEFAULT 3")
        try b.execute("UPDATE t SET name = 'edited on b' WHERE id = 'r'")
        try b.execute("UPDATE t SET extra = 'b wrote this' WHERE id = 's'")
        try await b.sync()
        try await a.sync()
        func row(_ node: TestNode, _ id: String) throws -> [String] {
            try node.store.read { db in
                try Row.fetchOne(db, sql: "SELECT name, extra, level FROM t WHERE id = ?", arguments: [id]).map {
                    [
                        "\($0["name"] as String? ?? "nil")", "\($0["extra"] as String? ?? "nil")",
                        "\($0["level"] as Int? ?? -1)",
                    ]
                } ?? []
            }
        }
        #expect(try row(a, "r") == ["edited on b", "hello", "9"], "A's values survive B's edit")
        #expect(try row(b, "r") == ["edited on b", "hello", "9"], "B took the values it had been missing")
        #expect(try row(a, "s") == ["other", "b wrote this", "3"], "a value B wrote after adding the column goes up")
        #expect(try a.syncedContents() == b.syncedContents())
    }
}

extension NoSilentLossTests {
    @Test(
        "a table a node tracks after its cursor passed the table's rows is filled from the hub",
        arguments: SyncBackend.allCases
    )
    func tableTrackedLateIsFilled(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, c) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("CREATE TABLE t (id TEXT PRIMARY KEY, value INTEGER)")
        try a.store.track("t")
        for index in 0..<25 { try a.execute("INSERT INTO t VALUES (?, ?)", ["r\(index)", index]) }
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('ag', 'A', 'x')")
        try await a.sync()
        try await c.sync()  // C's cursor passes every row of t, which it does not track
        #expect(try c.store.agent(id: "ag") != nil)

        // C tracks t late and has a row of its own under one of the hub's keys.
        try c.execute("CREATE TABLE t (id TEXT PRIMARY KEY, value INTEGER)")
        try c.execute("INSERT INTO t VALUES ('r3', 300), ('mine', 1)")
        try c.store.track("t")
        try await c.sync()
        let keys = try await c.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") }
        #expect(keys == 26, "the hub's 25 rows and C's own")
        // C's own r3 collides with the hub's (no base, no rule): parked for a person, not lost.
        let parked = try c.store.conflicts(status: .pending)
        #expect(parked.map(\.key) == ["r3"])
        try c.store.resolveConflict(id: try #require(parked.first).id, choosing: .remote)
        try await c.sync()
        try await a.sync()
        #expect(try a.syncedContents() == c.syncedContents())

        // resync repairs a row written behind capture's back, and only that.
        try c.store.writeWithoutCapture { db in try db.execute(sql: "UPDATE t SET value = -1 WHERE id = 'r7'") }
        #expect(try c.store.requestResync(tables: ["T"]) == ["t"])
        try await c.sync()
        #expect(try await c.store.read { db in try Int.fetchOne(db, sql: "SELECT value FROM t WHERE id = 'r7'") } == 7)
        #expect(try a.syncedContents() == c.syncedContents())
    }
}

extension NoSilentLossTests {
    @Test(
        "a hub restored from a backup is noticed (sequence below the cursor, new epoch): nodes push again what it lost",
        arguments: SyncBackend.allCases
    )
    func hubRestoredFromBackup(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 3)
        let (a, b, c) = (cluster.nodes[0], cluster.nodes[1], cluster.nodes[2])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('r1', 'one', 'x'), ('r2', 'two', 'x')")
        try await cluster.syncAll()
        try await cluster.backUpHub()

        // Acknowledged by the hub, then lost when it is restored from the backup.
        try a.execute("UPDATE agents SET name = 'one, edited' WHERE id = 'r1'")
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('r3', 'three', 'x')")
        try a.execute("DELETE FROM agents WHERE id = 'r2'")
        try await a.sync()
        try await b.sync()
        try await cluster.restoreHubBackup()

        // The hub's newest sequence number is now below B's cursor: B notices by itself.
        let noticed = try await b.sync()
        #expect(noticed.resynced, "B must see that the hub went back in time")
        #expect(noticed.pushed == 3, "B pushes again the edit, the insert and the delete the hub lost")

        // The hub is restored again, and C (which never saw the lost changes) pushes past every
        // node's cursor, reusing the lost sequence numbers: only a new epoch can tell A.
        try await cluster.restoreHubBackup()
        for index in 0..<8 {
            try c.execute("INSERT INTO agents (id, name, type) VALUES (?, 'from C', 'x')", ["c\(index)"])
        }
        try await c.sync()
        try await SyncCluster.outpost(["hub", "new-epoch", "--tenant", cluster.tenant] + cluster.hubArguments)
        #expect(try await a.sync().resynced, "A must see the new epoch")
        try await cluster.syncAll()

        let names = try await c.store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM agents ORDER BY id").map {
                "\($0["id"] as String)=\($0["name"] as String)"
            }
        }
        #expect(
            names == ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"].map { "\($0)=from C" } + [
                "r1=one, edited", "r3=three",
            ]
        )
        for node in [a, b, c] {
            #expect(try node.syncedContents() == a.syncedContents())
            #expect(try await node.engine.verify().unexplained == 0)
        }
    }
}

extension NoSilentLossTests {
    @Test(
        "TEXT holding U+0000 is never cut short: its change is refused visibly, and a BLOB carries the bytes",
        arguments: SyncBackend.allCases
    )
    func textWithNULIsRefusedVisibly(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, body)")
            try node.store.track("notes")
        }
        // As another SQLite client would write it.
        try a.execute("INSERT INTO notes VALUES ('cut', 'ab' || char(0) || 'cd'), ('plain', 'fine')")
        let report = try await a.sync()
        #expect(report.failed == 1)
        let failed = try a.store.queueEntries(status: .failed)
        #expect(failed.map(\.key) == ["cut"])
        #expect(failed.first?.error?.contains("U+0000") == true, "\(failed)")
        // Found by the node as it read the row, naming the column: not left to the hub's refusal.
        #expect(failed.first?.error?.contains("column(s) body hold") == true, "\(failed)")
        #expect(report.pushed == 1, "the rest of the batch goes: \(report)")
        try await b.sync()
        let onB = try await b.store.read { db in try String.fetchAll(db, sql: "SELECT id FROM notes ORDER BY id") }
        #expect(onB == ["plain"], "the value must not arrive cut short as 'ab'")
        #expect(try await a.engine.verify(tables: ["notes"]).tables.first?.differences.map(\.reason) == [.failed])

        // Stored as a BLOB, the same bytes travel exactly.
        try a.execute("UPDATE notes SET body = CAST(body AS BLOB) WHERE id = 'cut'")
        #expect(try a.store.retryFailed(ids: nil) == 1)
        try await a.sync()
        try await b.sync()
        let bytes = try await b.store.read { db in
            try Row.fetchOne(db, sql: "SELECT typeof(body) AS type, hex(body) AS bytes FROM notes WHERE id = 'cut'")
                .map { "\($0["type"] as String) \($0["bytes"] as String)" }
        }
        #expect(bytes == "blob 6162006364")
        #expect(try await a.engine.verify(tables: ["notes"]).unexplained == 0)
    }
}

extension NoSilentLossTests {
    @Test(
        "a hub restored from a backup gets back the file content it lost: nodes forget which chunks it held",
        arguments: SyncBackend.allCases
    )
    func hubRestoredGetsFileContentBack(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('r1', 'one', 'x')")
        try await cluster.syncAll()
        try await cluster.backUpHub()

        // Content and row acknowledged by the hub, then lost when it is restored.
        let bytes = FileSyncTests.random(300_000, seed: 19)
        try a.files.put(bytes, as: "models/after-backup.bin")
        #expect(try await a.sync().chunksSent > 0)
        try await cluster.restoreHubBackup()
        try await SyncCluster.outpost(["hub", "new-epoch", "--tenant", cluster.tenant] + cluster.hubArguments)

        let again = try await a.sync()
        #expect(again.resynced, "A must see the new epoch")
        try await a.sync()
        try await b.sync()
        #expect(
            try b.files.file(named: "models/after-backup.bin")?.content == "local",
            "B must be able to fetch what A put: A has to upload the chunks the hub lost"
        )
        #expect(try b.files.contents(of: "models/after-backup.bin") == bytes)
    }
}
