import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostProtocol
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// Nodes of two sites under the tenant's scopes, set with the `outpost hub` commands as an
/// operator would, syncing through the hub with their real engines. On both hub backends.
@Suite("Scoped sync between two sites")
struct ScopedSyncTests {
    static let scopes = """
        {"tables": {"readings": {"rows": {"column": "site", "equals": "node.site"}, "write": "read-write"},
                    "executions": {"write": "upload-only"},
                    "catalog": {"write": "read-only"}}}
        """

    @Test(
        "each site sees its rows; a refusal is parked visibly, the rest lands; a moved row changes site; runs reach only the hub",
        arguments: SyncBackend.allCases
    )
    func twoSites(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (berlin, paris) = (cluster.nodes[0], cluster.nodes[1])
        try await cluster.setScopes(Self.scopes)
        for (node, site) in [(berlin, "berlin"), (paris, "paris")] {
            let set = try await SyncCluster.outpost(
                ["hub", "node", "set", node.hubID, "--attr", "site=\(site)", "--json"] + cluster.hubArguments
            )
            #expect(try JSONValue(parsing: set)["attributes"]?["site"]?.stringValue == site)
            try node.execute("CREATE TABLE readings (id TEXT PRIMARY KEY, site TEXT, v INTEGER)")
            try node.execute("CREATE TABLE catalog (id TEXT PRIMARY KEY, price INTEGER)")
            try node.store.track("readings")
            try node.store.track("catalog")
        }
        let shown = try await SyncCluster.outpost(
            ["hub", "scope", "show", "--tenant", cluster.tenant, "--json"] + cluster.hubArguments
        )
        #expect(try JSONValue(parsing: shown)["tables"]?["executions"]?["write"] == "upload-only")

        // Berlin writes its reading, one for Paris (outside its scope) and a catalog row
        // (read-only): the two are refused and parked with the hub's reason; its own lands.
        try berlin.execute("INSERT INTO readings VALUES ('r1', 'berlin', 1), ('r2', 'paris', 2)")
        try berlin.execute("INSERT INTO catalog VALUES ('c1', 3)")
        let pushed = try await berlin.sync()
        #expect(pushed.pushed == 1 && pushed.failed == 2, "\(pushed)")
        let failed = try berlin.store.queueEntries(status: .failed)
        #expect(Set(failed.map(\.key)) == ["r2", "c1"])
        #expect(failed.allSatisfy { $0.error?.contains("out_of_scope") == true }, "\(failed)")
        #expect(failed.contains { $0.error?.contains("read-only") == true })

        // Paris writes its own reading and a run; it sees nothing of Berlin's readings.
        try paris.execute("INSERT INTO readings VALUES ('p1', 'paris', 5)")
        _ = try paris.store.addWorkflow(id: "w", name: "W", definition: ["steps": []])
        try await paris.store.recordExecution(Execution(id: "e1", workflowID: "w", status: "completed"))
        try await paris.sync()
        try await berlin.sync()
        #expect(try Self.readings(paris) == ["p1"])
        #expect(try Self.readings(berlin) == ["r1", "r2"], "the refused row stays on Berlin, parked, not lost")
        #expect(try berlin.store.requireWorkflow(id: "w").name == "W", "unscoped tables are shared")
        #expect(throws: OutpostError.self, "upload-only runs reach no node") {
            try berlin.store.requireExecution(id: "e1")
        }
        let onHub = "SELECT count(*) FROM outpost_records WHERE record_id = 'e1' AND \(cluster.tenantCondition)"
        #expect(try await cluster.countOnHub(onHub) == 1)

        // Berlin hands r1 to Paris: it leaves Berlin and reaches Paris.
        try berlin.execute("UPDATE readings SET site = 'paris', v = 10 WHERE id = 'r1'")
        try await berlin.sync()
        try await berlin.sync()
        try await paris.sync()
        #expect(try Self.readings(berlin) == ["r2"])
        #expect(try Self.readings(paris) == ["p1", "r1"])
        #expect(
            try await paris.store.read { try Int.fetchOne($0, sql: "SELECT v FROM readings WHERE id = 'r1'") } == 10
        )

        // The operator moves Berlin's node to Paris, then back: each time it gets what its new
        // site holds and drops what it no longer may see, keeping its own parked change.
        try await SyncCluster.outpost(
            ["hub", "node", "set", berlin.hubID, "--attr", "site=paris"] + cluster.hubArguments
        )
        try await berlin.sync()
        #expect(try Self.readings(berlin) == ["p1", "r1", "r2"])
        try await SyncCluster.outpost(
            ["hub", "node", "set", berlin.hubID, "--attr", "site=berlin"] + cluster.hubArguments
        )
        try await berlin.sync()
        #expect(try Self.readings(berlin) == ["r2"])

        // `outpost verify` compares each node with what its scope shows it of the hub: a node's
        // own runs in the upload-only table match; rows of the other site are not differences.
        for node in [paris, berlin] {
            try await node.sync()
            let verified = try await node.engine.verify(tables: ["readings", "executions"])
            #expect(verified.unexplained == 0, "\(verified)")
        }
    }

    @Test(
        "a file outside a node's scope is neither listed nor fetched, even by the hashes of its chunks",
        arguments: SyncBackend.allCases
    )
    func filesFollowScopes(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try await cluster.setScopes(#"{"tables": {"files": {"rows": "own"}}}"#)
        let content = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        try a.files.put(content, as: "plans/a.bin")
        try b.files.put(Array("b's own".utf8), as: "notes/b.txt")
        try await a.sync()
        try await b.sync()
        try await a.sync()
        #expect(try b.files.list().map(\.name) == ["notes/b.txt"])
        #expect(try a.files.list().map(\.name) == ["plans/a.bin"])

        // B learns A's manifest hashes (as a leak would tell it) and asks the hub for them.
        let manifests = try await a.store.read { db in
            try String.fetchOne(db, sql: "SELECT chunks FROM files WHERE name = 'plans/a.bin'")
        }
        let hashes = ManifestFormat.manifestHashes(inChunkList: try #require(manifests))
        #expect(!hashes.isEmpty)
        #expect(try await b.engine.client.fetch(hashes).value.isEmpty, "answered as chunks the hub lacks")
        #expect(try await a.engine.client.fetch(hashes).value.map(\.hash).sorted() == hashes.sorted())
    }

    @Test(
        "scopes this hub cannot read refuse the tenant's nodes instead of opening every row; set again, they serve",
        arguments: SyncBackend.allCases
    )
    func unreadableScopesFailClosed(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 1)
        let node = cluster.nodes[0]
        try await cluster.setScopes(Self.scopes)
        try await node.sync()
        // As a newer hub might have written them: a row rule this hub does not know.
        try await cluster.executeOnHub(
            """
            UPDATE outpost_tenants SET scopes = '{"tables": {"readings": {"rows": {"expression": "x"}}}}'
            WHERE name = '\(cluster.tenant)'
            """
        )
        do {
            try await node.sync()
            Issue.record("a tenant whose scopes do not read must not be served")
        } catch {
            let failure = error as? SyncFailure
            #expect(failure?.status == 503 && failure?.hubCode == "scopes_unreadable", "\(error)")
        }
        try await cluster.setScopes(Self.scopes)
        try await node.sync()
    }

    @Test(
        "the operator's commands: a node added with attributes, listed with them; a bad scopes file changes nothing",
        arguments: SyncBackend.allCases
    )
    func operatorCommands(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 0)
        let added = try JSONValue(
            parsing: try await SyncCluster.outpost(
                [
                    "hub", "node", "add", "--tenant", cluster.tenant, "--name", "shop-7", "--attr", "site=berlin",
                    "--attr", "line=3", "--json",
                ] + cluster.hubArguments
            )
        )
        let id = try #require(added["id"]?.stringValue)
        let listed = try JSONValue(
            parsing: try await SyncCluster.outpost(
                ["hub", "node", "list", "--tenant", cluster.tenant, "--json"] + cluster.hubArguments
            )
        )
        guard case .array(let nodes) = listed else {
            Issue.record("node list --json is not an array: \(listed)")
            return
        }
        #expect(nodes.first { $0["id"]?.stringValue == id }?["attributes"] == ["site": "berlin", "line": "3"])
        let table = try await SyncCluster.outpost(
            ["hub", "node", "list", "--tenant", cluster.tenant] + cluster.hubArguments
        )
        #expect(table.contains("line=3 site=berlin"), "\(table)")

        try await cluster.setScopes(Self.scopes)
        let bad = cluster.folder.appending("bad-scopes.json")
        try #"{"tables": {"readings": {"rows": {"column": "site", "equals": "site"}}}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        expectOneLineFailure(
            try await runProgram(
                OutpostExecutable.path,
                ["hub", "scope", "set", "--tenant", cluster.tenant, "--file", bad] + cluster.hubArguments
            ),
            mentioning: "tables.readings.rows.equals"
        )
        let shown = try JSONValue(
            parsing: try await SyncCluster.outpost(
                ["hub", "scope", "show", "--tenant", cluster.tenant, "--json"] + cluster.hubArguments
            )
        )
        #expect(
            shown["tables"]?["readings"]?["rows"]?["equals"] == "node.site",
            "the scopes in force are the previous ones: \(shown)"
        )
    }

    private static func readings(_ node: TestNode) throws -> [String] {
        try node.store.pool.read { db in try String.fetchAll(db, sql: "SELECT id FROM readings ORDER BY id") }
    }
}
