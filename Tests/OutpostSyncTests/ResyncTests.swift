import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// A node away for longer than the hub's offline lease: the hub has collected history it never
/// saw, so it must re-sync in full — and keep its own unsynced writes.
@Suite("Sync: re-sync after the lease", .serialized)
struct ResyncTests {
    @Test(
        "a node behind collected tombstones re-syncs: deletes it missed land, its offline writes go up",
        arguments: SyncBackend.allCases
    )
    func resyncAfterLease(backend: SyncBackend) async throws {
        let cluster = try await Self.twoNodesSharingThreeRows(backend)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])

        // B goes away with unsynced work: an edit of a shared row and a new row.
        try b.execute("UPDATE agents SET name = 'edited on B' WHERE id = 'r3'")
        try b.execute("INSERT INTO agents (id, name, type) VALUES ('b1', 'made offline', 'x')")
        // Meanwhile A deletes one row and edits another, and catches up.
        try a.execute("DELETE FROM agents WHERE id = 'r1'")
        try a.execute("UPDATE agents SET name = 'edited on A' WHERE id = 'r2'")
        try await a.sync()
        try await a.sync()

        // Forty days later the hub collects the tombstone B never saw.
        try await cluster.age(b, days: 40)
        let listed = try JSONValue(
            parsing: try await SyncCluster.outpost(
                ["hub", "node", "list", "--tenant", cluster.tenant, "--json"] + cluster.hubArguments
            )
        )
        guard case .array(let nodes) = listed else {
            Issue.record("hub node list --json is not an array: \(listed)")
            return
        }
        #expect(
            nodes.map { "\($0["id"]?.stringValue ?? ""):\($0["past_lease"] == true)" }.sorted()
                == ["\(a.hubID):false", "\(b.hubID):true"].sorted(),
            "hub node list flags the node beyond the 30-day lease: \(listed)"
        )
        let collected = try await SyncCluster.outpost(["hub", "gc", "--json"] + cluster.hubArguments)
        // `hub gc` collects every tenant's tombstones, and other tests' tenants (and their hubs'
        // housekeeping) share the PostgreSQL database, so B's may already be gone: the count
        // proves nothing here. The re-sync below shows it was collected.
        #expect(try JSONValue(parsing: collected)["tombstones"] != nil, "\(collected)")

        let report = try await b.sync()
        #expect(report.resynced, "the hub must ask B for a full re-sync")
        #expect(report.pushed == 2, "B's offline edit and insert still go up")
        let names = try await b.store.read { db in
            try Dictionary(
                uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, name FROM agents").map {
                    ($0["id"] as String, $0["name"] as String)
                }
            )
        }
        #expect(names == ["r2": "edited on A", "r3": "edited on B", "b1": "made offline"])
        try await a.sync()
        #expect(try a.syncedContents() == b.syncedContents())

        // The re-sync is finished: the next sync is an ordinary one.
        #expect(try await b.sync().resynced == false)
    }

    @Test(
        "a node with no local work re-syncs: the rows it holds are seen again and kept, the one deleted meanwhile goes",
        arguments: SyncBackend.allCases
    )
    func resyncWithoutLocalWork(backend: SyncBackend) async throws {
        let cluster = try await Self.twoNodesSharingThreeRows(backend)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        // B holds every row at the hub's version and has nothing to push: the re-sync takes
        // the rows through the pull's short way, which must still mark them seen.
        try a.execute("DELETE FROM agents WHERE id = 'r1'")
        try await a.sync()
        // The hub learns a node's cursor from its next pull.
        try await a.sync()
        try await cluster.age(b, days: 40)
        _ = try await SyncCluster.outpost(["hub", "gc", "--json"] + cluster.hubArguments)

        let report = try await b.sync()
        #expect(report.resynced, "the hub must ask B for a full re-sync")
        #expect(report.pushed == 0)
        let keys = try await b.store.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM agents ORDER BY id")
        }
        #expect(keys == ["r2", "r3"], "rows B holds stay; the one deleted while it was away goes")
        #expect(try a.syncedContents() == b.syncedContents())
    }

    /// Two nodes that both hold `r1`, `r2` and `r3`, written on the first.
    private static func twoNodesSharingThreeRows(_ backend: SyncBackend) async throws -> SyncCluster {
        let cluster = try await SyncCluster(backend, nodes: 2)
        for key in ["r1", "r2", "r3"] {
            try cluster.nodes[0].execute("INSERT INTO agents (id, name, type) VALUES (?, 'shared', 'x')", [key])
        }
        try await cluster.syncAll()
        return cluster
    }
}
