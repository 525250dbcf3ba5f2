import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// `outpost verify` and `outpost resync` against a live hub, on both backends: differences made
/// by hand are found and explained, unexplained ones are repaired.
@Suite("Verify and resync")
struct VerifyTests {
    /// Two nodes holding the same 300 readings (more than one digest lists, so the buckets are
    /// used), synced.
    private func syncedPair(_ backend: SyncBackend, hub placement: HubPlacement = .inProcess) async throws -> (
        SyncCluster, TestNode, TestNode
    ) {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: placement)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute("CREATE TABLE readings (id TEXT PRIMARY KEY, value REAL, raw BLOB, note TEXT)")
            try node.store.track("readings")
        }
        try await a.store.write { db in
            for index in 0..<300 {
                try db.execute(
                    sql: "INSERT INTO readings VALUES (?, ?, ?, ?)",
                    arguments: [
                        "r\(index)", Double(index) + 0.5, Data([UInt8(index % 256), 0]), index % 7 == 0 ? nil : "n",
                    ]
                )
            }
        }
        try await cluster.syncAll()
        return (cluster, a, b)
    }

    @Test("a node that matches the hub verifies in one request", arguments: SyncBackend.allCases)
    func matchingTableIsOneRequest(backend: SyncBackend) async throws {
        let (cluster, a, b) = try await syncedPair(backend)
        for node in [a, b] {
            let report = try await node.engine.verify(tables: ["readings"])
            let table = try #require(report.tables.first)
            #expect(table.rows == 300)
            #expect(table.matches, "differences: \(table.differences)")
            #expect(table.requests == 1)
            #expect(report.bytesReceived < 4_096, "a matching table costs a few kilobytes")
        }
        // Every tracked table, built-in ones too.
        #expect(try await a.engine.verify().unexplained == 0)
        withExtendedLifetime(cluster) {}
    }

    @Test("verify explains each difference and reports the unexplained ones", arguments: SyncBackend.allCases)
    func differencesAreExplained(backend: SyncBackend) async throws {
        let (cluster, a, b) = try await syncedPair(backend, hub: .process)
        // On A, behind capture's back: one row changed, one row made.
        try await a.store.writeApplyingRemote { db in
            try db.execute(sql: "UPDATE readings SET value = -1 WHERE id = 'r1'")
            try db.execute(sql: "INSERT INTO readings (id, value) VALUES ('ghost', 9)")
        }
        // On A, an ordinary edit not yet pushed.
        try a.execute("UPDATE readings SET note = 'local' WHERE id = 'r2'")
        // In the hub's database directly: both nodes now differ from it, unexplained.
        try await cluster.executeOnHub(
            """
            UPDATE outpost_records SET data = '{"id": "r3", "value": 42.5, "raw": null, "note": "hub"}'
            WHERE \(cluster.tenantCondition) AND table_name = 'readings' AND record_id = 'r3'
            """
        )
        // B pushes an edit A has not pulled yet.
        try b.execute("UPDATE readings SET value = 7.5 WHERE id = 'r4'")
        try await b.sync()

        let report = try await a.engine.verify(tables: ["readings"])
        let differences = try #require(report.tables.first).differences
        let byKey = Dictionary(uniqueKeysWithValues: differences.map { ($0.key, $0) })
        #expect(Set(byKey.keys) == ["ghost", "r1", "r2", "r3", "r4"], "\(differences)")
        #expect(byKey["r1"]?.reason == .unexplained)
        #expect(byKey["ghost"]?.reason == .unexplained)
        #expect(byKey["ghost"]?.presence == .nodeOnly)
        #expect(byKey["r2"]?.reason == .pending)
        #expect(byKey["r3"]?.reason == .unexplained)
        #expect(byKey["r4"]?.reason == .notPulled)
        #expect(report.unexplained == 3)

        // The command says the same and exits 1.
        let result = try await runProgram(
            OutpostExecutable.path,
            ["verify", "--table", "readings", "--json", "--home", a.home]
        )
        try #require(result.status == 1 && !result.stdout.isEmpty, "\(result)")
        #expect(try JSONValue(parsing: result.stdout)["unexplained"] == .integer(3))

        // B differs from the hub only by the row changed in the hub's database.
        let seenByB = try await b.engine.verify(tables: ["readings"])
        #expect(seenByB.tables.first?.differences.map(\.key) == ["r3"])
    }

    @Test("resync repairs unexplained differences; --push-local sends them instead", arguments: SyncBackend.allCases)
    func resyncRepairs(backend: SyncBackend) async throws {
        let (cluster, a, b) = try await syncedPair(backend)
        try await a.store.writeApplyingRemote { db in
            try db.execute(sql: "UPDATE readings SET value = -1 WHERE id = 'r1'")
        }
        try await cluster.executeOnHub(
            """
            UPDATE outpost_records SET data = '{"id": "r3", "value": 42.5, "raw": null, "note": "hub"}'
            WHERE \(cluster.tenantCondition) AND table_name = 'readings' AND record_id = 'r3'
            """
        )
        #expect(try await a.engine.verify(tables: ["readings"]).unexplained == 2)

        // A takes the hub's copies.
        try a.store.requestResync(tables: ["readings"])
        try await a.sync()
        #expect(try await a.engine.verify(tables: ["readings"]).unexplained == 0)
        let value = try await a.store.read { db in
            try Double.fetchOne(db, sql: "SELECT value FROM readings WHERE id = 'r1'")
        }
        #expect(value == 1.5)

        // B's copy of r3 is the one to keep: it pushes it over the hub's.
        let pushed = try await b.engine.resync(tables: ["readings"], pushLocal: true)
        #expect(pushed == 1)
        try await b.sync()
        #expect(try await b.engine.verify(tables: ["readings"]).unexplained == 0)
        try await a.sync()
        #expect(try await a.engine.verify(tables: ["readings"]).unexplained == 0)
        #expect(try a.syncedContents() == b.syncedContents())
    }
}
