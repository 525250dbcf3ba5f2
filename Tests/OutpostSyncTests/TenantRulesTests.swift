import Foundation
import GRDB
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// One set of conflict rules for the fleet: the tenant's, kept by the hub, over each node's own.
/// On both hub backends.
@Suite("Tenant conflict rules")
struct TenantRulesTests {
    @Test(
        "the tenant's rules reach every node and decide its tables; a node's own add only the tables left unset",
        arguments: SyncBackend.allCases
    )
    func tenantRulesWin(backend: SyncBackend) async throws {
        // Node A's own rules leave every conflict on either table to a person; B's take the hub's.
        let parkEverything = try RulesConfiguration(
            parsing: #"{"entities": {"items": {"strategy": "manual"}, "notes": {"strategy": "manual"}}}"#
        )
        let cluster = try await SyncCluster(backend, nodes: 0)
        let a = try await cluster.addNode(name: "a", rules: parkEverything)
        let b = try await cluster.addNode(name: "b", rules: .defaults)
        let file = cluster.folder.appending("fleet-rules.json")
        try #"{"entities": {"items": {"strategy": "remote_wins"}}}"#.write(
            toFile: file,
            atomically: true,
            encoding: .utf8
        )
        try await SyncCluster.outpost(
            ["hub", "rules", "set", "--tenant", cluster.tenant, "--file", file] + cluster.hubArguments
        )
        let shown = try JSONValue(
            parsing: try await SyncCluster.outpost(
                ["hub", "rules", "show", "--tenant", cluster.tenant, "--json"] + cluster.hubArguments
            )
        )
        #expect(shown["rules"]?["entities"]?["items"]?["strategy"] == "remote_wins")
        for node in [a, b] {
            try node.execute("CREATE TABLE items (id TEXT PRIMARY KEY, v TEXT)")
            try node.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, v TEXT)")
            try node.store.track("items")
            try node.store.track("notes")
        }
        try a.execute("INSERT INTO items VALUES ('i1', 'first'); INSERT INTO notes VALUES ('n1', 'first')")
        try await a.sync()
        try await b.sync()
        #expect(try a.store.tenantRules()?.contains("remote_wins") == true, "kept for merging offline")

        // Both edit both rows; B's edits reach the hub first.
        try a.execute("UPDATE items SET v = 'from a' WHERE id = 'i1'; UPDATE notes SET v = 'from a' WHERE id = 'n1'")
        try b.execute("UPDATE items SET v = 'from b' WHERE id = 'i1'; UPDATE notes SET v = 'from b' WHERE id = 'n1'")
        try await b.sync()
        try await a.sync()
        try await b.sync()
        // items: the tenant's remote_wins decides on A, over A's own manual.
        #expect(try Self.value(a, "items", "i1") == "from b")
        #expect(try Self.value(b, "items", "i1") == "from b")
        // notes: the tenant leaves it unset, so A's own rule parks the conflict for a person.
        let parked = try a.store.conflicts()
        #expect(parked.map(\.table) == ["notes"], "\(parked)")

        // `outpost rules show` on a node says where each table's rules come from.
        let rules = try JSONValue(
            parsing: try await SyncCluster.outpost(["rules", "show", "--json", "--home", a.home])
        )
        #expect(rules["sources"]?["items"] == "tenant")
        #expect(rules["tenant_rules"]?["entities"]?["items"]?["strategy"] == "remote_wins")

        // Removed on the hub, the node's own rules are in force again after its next sync.
        try await SyncCluster.outpost(
            ["hub", "rules", "set", "--tenant", cluster.tenant, "--clear"] + cluster.hubArguments
        )
        try await a.sync()
        #expect(try a.store.tenantRules() == nil)
    }

    @Test("a rules file the hub cannot use is refused with its line or member, and nothing changes")
    func badFileRefused() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 1)
        let file = cluster.folder.appending("bad.json")
        try #"{"entities": {"items": {"strategy": "sometimes"}}}"#.write(
            toFile: file,
            atomically: true,
            encoding: .utf8
        )
        let result = try await runProgram(
            OutpostExecutable.path,
            ["hub", "rules", "set", "--tenant", cluster.tenant, "--file", file] + cluster.hubArguments
        )
        expectOneLineFailure(result, mentioning: "entities.items.strategy")
        let shown = try await SyncCluster.outpost(
            ["hub", "rules", "show", "--tenant", cluster.tenant] + cluster.hubArguments
        )
        #expect(shown.contains("has no conflict rules"))
    }

    private static func value(_ node: TestNode, _ table: String, _ key: String) throws -> String? {
        try node.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT v FROM \(table) WHERE id = ?", arguments: [key])
        }
    }
}
