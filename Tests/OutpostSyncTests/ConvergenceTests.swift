import Foundation
import GRDB
import OutpostCore
import OutpostMerge
import OutpostProtocol
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// Nodes with real stores sync through a live hub process, on SQLite and on PostgreSQL.
@Suite("Sync: nodes converge through a live hub", .serialized)
struct ConvergenceTests {
    @Test("a write on A reaches B; a delete reaches B too", arguments: SyncBackend.allCases)
    func writeAndDeletePropagate(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type, config) VALUES ('a1', 'Camera', 'vision', '{\"fps\":5}')")
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('a2', 'Scale', 'sensor')")
        let pushed = try await a.sync()
        #expect(pushed.pushed == 2)
        let pulled = try await b.sync()
        #expect(pulled.pulled == 2)
        #expect(try b.syncedContents() == a.syncedContents())
        #expect(try b.queueCount(status: "pending") == 0, "rows from the hub must not echo into B's queue")

        try a.execute("DELETE FROM agents WHERE id = 'a2'")
        try await a.sync()
        try await b.sync()
        let names = try await b.store.read { db in try String.fetchAll(db, sql: "SELECT name FROM agents ORDER BY id") }
        #expect(names == ["Camera"])
        #expect(try b.syncedContents() == a.syncedContents())
        let status = try await a.store.read { db in
            try String.fetchOne(db, sql: "SELECT sync_status FROM agents WHERE id = 'a1'")
        }
        #expect(status == "synced")
    }

    @Test("edits of different fields of one row on A and B both survive", arguments: SyncBackend.allCases)
    func differentFieldsMerge(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute(
            "INSERT INTO agents (id, name, type, status, config) VALUES ('a1', 'Camera', 'vision', 'inactive', '{\"fps\":5,\"zoom\":1}')"
        )
        try await a.sync()
        try await b.sync()
        try a.execute("UPDATE agents SET status = 'active' WHERE id = 'a1'")
        try b.execute("UPDATE agents SET config = '{\"fps\":10,\"zoom\":1}', name = 'Line camera' WHERE id = 'a1'")
        try await a.sync()
        let merged = try await b.sync()
        #expect(merged.merged == 1)
        try await a.sync()
        for node in [a, b] {
            let row = try await node.store.read { db in
                try Row.fetchOne(db, sql: "SELECT status, name, config FROM agents WHERE id = 'a1'").map {
                    [$0["status"] as String, $0["name"] as String, $0["config"] as String]
                }
            }
            #expect(row?[0] == "active")
            #expect(row?[1] == "Line camera")
            #expect(try JSONValue(parsing: row?[2] ?? "") == ["fps": 10, "zoom": 1])
        }
        #expect(try a.syncedContents() == b.syncedContents())
    }

    @Test("the same field edited on A and B ends with one value on A, B and the hub", arguments: SyncBackend.allCases)
    func sameFieldConverges(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('a1', 'Camera', 'vision')")
        try await cluster.syncAll()
        try a.execute("UPDATE agents SET name = 'Camera A' WHERE id = 'a1'")
        try b.execute("UPDATE agents SET name = 'Camera B' WHERE id = 'a1'")
        try await cluster.syncAll()
        #expect(try a.syncedContents() == b.syncedContents())
        // A fresh node holds exactly what the hub holds.
        let c = try await cluster.addNode(name: "fresh")
        try await c.sync()
        #expect(try c.syncedContents() == a.syncedContents())
        let name = try await a.store.read { db in try String.fetchOne(db, sql: "SELECT name FROM agents") }
        #expect(name == "Camera B", "the newer write wins the name (rule: name → newest)")
    }

    @Test("a conflict the rules leave to a person is listed, resolved, and converges", arguments: SyncBackend.allCases)
    func manualConflict(backend: SyncBackend) async throws {
        var rules = RulesConfiguration.defaults
        rules.entities["prices"] = EntityRules(strategy: .manual)
        let cluster = try await SyncCluster(backend, nodes: 2, rules: rules)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute("CREATE TABLE prices (sku TEXT PRIMARY KEY, price REAL, currency TEXT)")
            try node.store.track("prices")
        }
        try a.execute("INSERT INTO prices VALUES ('p1', 9.5, 'EUR')")
        try await cluster.syncAll()
        try a.execute("UPDATE prices SET price = 10.0 WHERE sku = 'p1'")
        try b.execute("UPDATE prices SET price = 11.0 WHERE sku = 'p1'")
        try await a.sync()
        let parked = try await b.sync()
        #expect(parked.parked == 1)
        let conflicts = try b.store.conflicts()
        #expect(conflicts.count == 1 && conflicts[0].table == "prices" && conflicts[0].key == "p1")
        // While it waits, B keeps its value and pushes nothing of the row.
        try await b.sync()
        #expect(try await b.store.read { db in try Double.fetchOne(db, sql: "SELECT price FROM prices") } == 11.0)

        _ = try b.store.resolveConflict(id: conflicts[0].id, choosing: .local, by: "tester")
        try await cluster.syncAll()
        #expect(try a.syncedContents() == b.syncedContents())
        #expect(try await a.store.read { db in try Double.fetchOne(db, sql: "SELECT price FROM prices") } == 11.0)
        #expect(try b.store.conflicts().isEmpty)
    }

    @Test(
        "hub down: the queue grows and sync fails; hub back: it drains with nothing lost",
        arguments: SyncBackend.allCases
    )
    func hubDownAndBack(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        await cluster.stopHub()
        for index in 0..<50 {
            try a.execute(
                "INSERT INTO agents (id, name, type) VALUES (?, ?, 'sensor')",
                ["s\(index)", "Sensor \(index)"]
            )
        }
        await #expect(throws: SyncFailure.self) { try await a.sync() }
        #expect(try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 50)
        #expect(try a.queueCount(status: "failed") == 0, "an unreachable hub must not use up attempts")

        try await cluster.startHub()
        let report = try await a.sync()
        #expect(report.pushed == 50)
        try await b.sync()
        #expect(try b.syncedContents() == a.syncedContents())
        #expect(try a.queueCount(status: "pending") == 0)
    }

    @Test(
        "a change the hub refuses is parked as failed with the hub's reason; the rest sync",
        arguments: SyncBackend.allCases
    )
    func poisonChangeIsParked(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for index in 0..<20 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'ok', 'sensor')", ["s\(index)"])
        }
        // Over the hub's 1 MiB field limit: refused with 413, whatever batch it is in.
        try a.execute(
            "INSERT INTO agents (id, name, type, config) VALUES ('huge', 'big', 'x', ?)",
            [String(repeating: "x", count: 1_100_000)]
        )
        let report = try await a.sync()
        #expect(report.pushed == 20)
        #expect(report.failed == 1)
        let failed = try a.store.queueEntries(status: .failed)
        #expect(failed.map(\.key) == ["huge"])
        #expect(failed.first?.error?.contains("field_too_large") == true)
        try await b.sync()
        #expect(try await b.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM agents") } == 20)

        // Fixed and retried, it goes.
        try a.execute("UPDATE agents SET config = '{}' WHERE id = 'huge'")
        #expect(try a.store.retryFailed(ids: nil) == 1)
        #expect(try await a.sync().pushed == 1)
    }

    @Test("parents go before the rows that reference them, whatever their priority", arguments: SyncBackend.allCases)
    func dependencyOrder(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 1)
        let a = cluster.nodes[0]
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('ag', 'Agent', 'x')")
        try a.execute("INSERT INTO workflows (id, name, agent_id) VALUES ('wf', 'Flow', 'ag')")
        try a.execute("INSERT INTO executions (id, workflow_id, status) VALUES ('ex', 'wf', 'critical')")
        try await a.sync()
        let rows = try await a.engine.client.pull(after: 0, limit: 1000).value.rows
        let sequence = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.sequence) })
        let (agent, workflow, execution) = (
            try #require(sequence["ag"]), try #require(sequence["wf"]), try #require(sequence["ex"])
        )
        #expect(agent < workflow && workflow < execution)
    }

    @Test("a composite foreign key pulls its parent into the batch, whatever the column order")
    func compositeForeignKeyOrder() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 1)
        let a = cluster.nodes[0]
        try a.execute("CREATE TABLE bins (site TEXT, code INTEGER, label TEXT, PRIMARY KEY (site, code))")
        try a.execute(
            """
            CREATE TABLE items (id TEXT PRIMARY KEY, code INTEGER, site TEXT,
                                FOREIGN KEY (code, site) REFERENCES bins (code, site))
            """
        )
        try a.store.track("bins", priority: 1)
        try a.store.track("items", priority: 10)
        try a.execute("INSERT INTO bins VALUES ('north', 7, 'Bin 7')")
        try a.execute("INSERT INTO items VALUES ('i1', 7, 'north')")
        // One change per batch: the critical item is chosen first; its background parent must
        // come along, ahead of it.
        a.configuration.initialBatchSize = 1
        try a.reconnect()
        let report = try await a.sync()
        #expect(report.pushed == 2 && report.batches == 1)
        let rows = try await a.engine.client.pull(after: 0, limit: 100).value.rows
        #expect(rows.map(\.table) == ["bins", "items"])
        #expect(rows.first?.key == #"["north",7]"#)
    }

    @Test("critical changes go first", arguments: SyncBackend.allCases)
    func criticalFirst(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 1)
        let a = cluster.nodes[0]
        for index in 0..<300 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'n', 'x')", ["n\(index)"])
        }
        try a.execute("INSERT INTO agents (id, name, type, status) VALUES ('alarm', 'Alarm', 'x', 'critical')")
        try await a.sync()
        let rows = try await a.engine.client.pull(after: 0, limit: 5000).value.rows
        #expect(rows.first?.key == "alarm")
    }
}
