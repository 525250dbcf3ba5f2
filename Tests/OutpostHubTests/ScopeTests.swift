import Foundation
import HTTPTypes
import HummingbirdTesting
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

@testable import OutpostHub

@Suite("Scopes: what each node receives and may write")
struct ScopeTests {
    /// The issue's minimal file: `readings` by site, `executions` upload-only.
    static let minimal = """
        {"tables": {"readings": {"rows": {"column": "site", "equals": "node.site"}, "write": "read-write"},
                    "executions": {"write": "upload-only"}}}
        """

    /// Readings by a list attribute: a node may see several sites.
    static let bySites = """
        {"tables": {"readings": {"rows": {"column": "site", "in": "node.sites"}},
                    "executions": {"write": "upload-only"}}}
        """

    @Test("the minimal scopes file reads as written, and reads back the same from its stored text")
    func minimalFile() throws {
        let rules = try ScopeRules(parsing: Self.minimal)
        #expect(rules.tables["readings"] == .init(rows: .equals(column: "site", attribute: "site"), write: .readWrite))
        #expect(rules.tables["executions"] == .init(rows: .all, write: .uploadOnly))
        #expect(try ScopeRules(parsing: rules.encoded()) == rules)
        #expect(rules.bucket(table: "readings", data: ["site": "berlin"], origin: "n1") == "readings:berlin")
        #expect(rules.bucket(table: "readings", data: ["site": 3], origin: "n1") == "readings:3")
        #expect(rules.bucket(table: "readings", data: ["other": 1], origin: "n1") == "readings!")
        #expect(rules.bucket(table: "executions", data: ["id": "e"], origin: "n1") == "executions!")
        #expect(rules.bucket(table: "agents", data: ["id": "a"], origin: "n1") == "")
    }

    @Test(
        "a bad scopes file is refused naming the path of what is wrong",
        arguments: [
            (#"{"tables": {"readings": {"row": "all"}}}"#, "tables.readings.row"),
            (
                #"{"tables": {"readings": {"rows": {"column": "site", "equals": "site"}}}}"#,
                "tables.readings.rows.equals"
            ),
            (#"{"tables": {"readings": {"rows": {"column": "site"}}}}"#, "tables.readings.rows"),
            (#"{"tables": {"readings": {"rows": {"equals": "node.site"}}}}"#, "tables.readings.rows.column"),
            (#"{"tables": {"readings": {"write": "sometimes"}}}"#, "tables.readings.write"),
            (#"{"tables": {"bad name": {}}}"#, "tables.bad name"),
            (#"{"tables": {"e": {"write": "upload-only", "rows": "own"}}}"#, "tables.e.rows"),
            (#"{"tabels": {}}"#, "tabels"),
            (#"[1]"#, "(top level)"),
        ] as [(String, String)]
    )
    func refusals(text: String, path: String) {
        do {
            _ = try ScopeRules(parsing: text)
            Issue.record("\(text) must be refused")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains("at \(path):"), "\(error.message)")
        }
    }

    @Test("attributes: NAME=VALUE, refused when malformed or built in")
    func attributes() throws {
        #expect(
            try NodeAttributes(settings: ["site=berlin", "line=3", "tags=a=b"]).values
                == ["site": "berlin", "line": "3", "tags": "a=b"]
        )
        for bad in ["site", "=x", "id=me", "name=x", "bad name=x"] {
            #expect(throws: OutpostError.self, "\(bad)") { try NodeAttributes(settings: [bad]) }
        }
    }

    @Test(
        "each site's node receives only its readings and every shared row; executions reach no node",
        arguments: HubBackend.allCases
    )
    func scopedPulls(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let sites = try await Sites.make(storage, client)
            // Rows written before the scopes are sorted into buckets when the scopes are set.
            _ = try await sites.berlin.push(batch(upsert("old-b", ["site": "berlin", "v": 0], table: "readings")))
            _ = try await sites.paris.push(batch(upsert("old-p", ["site": "paris", "v": 0], table: "readings")))
            #expect(
                try await storage.setScopes(tenant: sites.tenant.name, rules: ScopeRules(parsing: Self.minimal)) == 2
            )

            let fromBerlin = try await sites.berlin.push(
                batch(
                    upsert("r-b", ["site": "berlin", "v": 1], table: "readings"),
                    upsert("e-b", ["status": "running"], table: "executions"),
                    upsert("a1", ["name": "Cam"])
                )
            )
            #expect(fromBerlin.results.map(\.status) == [.applied, .applied, .applied])
            _ = try await sites.paris.push(batch(upsert("r-p", ["site": "paris", "v": 2], table: "readings")))

            // The nodes were registered before the scopes: the rows they could see then and
            // cannot now reach them as leaving; nothing else of another site does.
            let berlin = try await sites.berlin.pullAll()
            #expect(Set(berlin.rows.filter { !$0.left }.map(\.key)) == ["old-b", "r-b", "a1"])
            #expect(berlin.rows.filter(\.left).map(\.key) == ["old-p"])
            let paris = try await sites.paris.pullAll()
            #expect(Set(paris.rows.filter { !$0.left }.map(\.key)) == ["old-p", "r-p", "a1"])
            #expect(paris.rows.filter(\.left).map(\.key) == ["old-b"])
            let both = try await sites.both.pullAll()
            #expect(
                both.rows.filter { !$0.left }.map(\.key) == ["a1"],
                "a node without a site attribute gets no readings"
            )
            // A node registered after the scopes hears of no other site's row at all.
            let token = NodeToken.generate()
            let late = try await storage.addNode(
                tenant: sites.tenant.name,
                name: "late",
                tokenHash: NodeToken.hash(token)
            )
            _ = try await storage.setAttributes(nodeID: late.id, attributes: NodeAttributes(["site": "berlin"]))
            let fresh = try await HubClient(client: client, token: token).pullAll()
            #expect(Set(fresh.rows.map(\.key)) == ["old-b", "r-b", "a1"], "\(fresh.rows)")
            // A node that skips changes outside its scope still reaches the head.
            #expect(berlin.cursor == paris.cursor && berlin.cursor == both.cursor)
            #expect(try await sites.berlin.pull(after: berlin.cursor).rows.isEmpty)

            // Upload-only: the writer may update its own row; another node may not touch it.
            let update = try await sites.berlin.push(
                batch(upsert("e-b", ["status": "completed"], table: "executions", base: 1))
            )
            #expect(update.results.map(\.status) == [.applied])
            let foreign = try await sites.paris.push(
                batch(upsert("e-b", ["status": "hacked"], table: "executions", base: 2))
            )
            #expect(foreign.results.map(\.status) == [.refused])
            #expect(foreign.results[0].refusal?.code == "out_of_scope")
            #expect(foreign.results[0].current == nil, "a refusal shows nothing of the row")
        }
    }

    @Test(
        "a push is checked per change: a row outside the scope, a read-only table; the rest lands",
        arguments: HubBackend.allCases
    )
    func pushRefusals(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let sites = try await Sites.make(storage, client)
            let rules = try ScopeRules(
                parsing:
                    #"{"tables": {"readings": {"rows": {"column": "site", "equals": "node.site"}}, "catalog": {"write": "read-only"}}}"#
            )
            _ = try await storage.setScopes(tenant: sites.tenant.name, rules: rules)
            _ = try await sites.paris.push(batch(upsert("r-p", ["site": "paris", "v": 1], table: "readings")))

            let mixed = try await sites.berlin.push(
                batch(
                    upsert("new-p", ["site": "paris", "v": 3], table: "readings"),
                    upsert("new-b", ["site": "berlin", "v": 4], table: "readings"),
                    upsert("r-p", ["site": "berlin", "v": 2], table: "readings", base: 1),
                    upsert("c1", ["price": 3], table: "catalog")
                )
            )
            #expect(mixed.results.map(\.status) == [.refused, .applied, .refused, .refused])
            #expect(
                try await sites.berlin.push(batch(delete("r-p", table: "readings", base: 1))).results.map(\.status)
                    == [.refused]
            )
            #expect(mixed.results[0].refusal?.reason.contains("outside this node's scope") == true)
            #expect(mixed.results[3].refusal?.reason.contains("read-only") == true)
            #expect(mixed.results.allSatisfy { $0.current == nil })
            #expect(try await sites.paris.pullAll().rows.first { $0.key == "r-p" }?.data?["v"] == 1)
            #expect(Set(try await sites.both.pullAll().rows.map(\.key)) == [], "no site attribute: no readings")

            // A node of protocol 1 cannot read a refused result: its batch is refused whole, and
            // it splits the batch until the one change is parked.
            let old = try await sites.berlin.send(
                batch(upsert("c2", ["price": 4], table: "catalog")),
                headers: [HTTPField.Name(ProtocolVersion.header)!: ""]
            )
            #expect(old.status == .unprocessableContent)
            #expect(errorCode(old) == "out_of_scope")
        }
    }

    @Test(
        "a row moved to another site leaves the nodes of the old one and reaches those of the new",
        arguments: HubBackend.allCases
    )
    func rowsMove(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let sites = try await Sites.make(storage, client)
            _ = try await storage.setScopes(tenant: sites.tenant.name, rules: ScopeRules(parsing: Self.bySites))
            _ = try await sites.berlin.push(batch(upsert("r1", ["site": "berlin", "v": 1], table: "readings")))
            let berlinBefore = try await sites.berlin.pullAll()
            let parisBefore = try await sites.paris.pullAll()
            let bothBefore = try await sites.both.pullAll()
            #expect(berlinBefore.rows.map(\.key) == ["r1"] && parisBefore.rows.isEmpty)

            // Berlin hands the row over to Paris: allowed, as it can see the row.
            let moved = try await sites.berlin.push(
                batch(upsert("r1", ["site": "paris", "v": 2], table: "readings", base: 1))
            )
            #expect(moved.results.map(\.status) == [.applied])

            let berlin = try await sites.berlin.pullAll(after: berlinBefore.cursor)
            #expect(berlin.rows.map(\.key) == ["r1"])
            #expect(berlin.rows.first?.deleted == true && berlin.rows.first?.data == nil, "its copy goes")
            #expect(berlin.rows.first?.left == true, "as a row leaving its scope, not a deletion")
            #expect(berlin.rows.first?.version == 2)
            let paris = try await sites.paris.pullAll(after: parisBefore.cursor)
            #expect(paris.rows.map(\.key) == ["r1"] && paris.rows.first?.data?["v"] == 2)
            let both = try await sites.both.pullAll(after: bothBefore.cursor)
            #expect(both.rows.count == 1 && both.rows.first?.deleted == false, "a node seeing both keeps the row")

            // Berlin can no longer touch it; Paris can, and can delete it (its tombstone stays in
            // Paris's bucket, so Berlin never hears of it).
            let late = try await sites.berlin.push(
                batch(upsert("r1", ["site": "berlin", "v": 3], table: "readings", base: 2))
            )
            #expect(late.results.map(\.status) == [.refused])
            _ = try await sites.paris.push(batch(delete("r1", table: "readings", base: 2)))
            #expect(try await sites.berlin.pullAll(after: berlin.cursor).rows.isEmpty)
            let deletion = try await sites.paris.pullAll(after: paris.cursor).rows
            #expect(deletion.map(\.deleted) == [true] && deletion.map(\.left) == [false])
        }
    }

    @Test(
        "a node whose site changes loses the old site's rows and gets the new one's, and nothing else again",
        arguments: HubBackend.allCases
    )
    func attributeChange(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let sites = try await Sites.make(storage, client)
            _ = try await storage.setScopes(tenant: sites.tenant.name, rules: ScopeRules(parsing: Self.minimal))
            _ = try await sites.berlin.push(
                batch(upsert("b1", ["site": "berlin", "v": 1], table: "readings"), upsert("a1", ["name": "Cam"]))
            )
            _ = try await sites.paris.push(batch(upsert("p1", ["site": "paris", "v": 2], table: "readings")))
            let before = try await sites.berlin.pullAll()
            #expect(Set(before.rows.map(\.key)) == ["b1", "a1"])

            let moved = try await storage.setAttributes(
                nodeID: sites.tenant.nodeIDs[0],
                attributes: NodeAttributes(["site": "paris"])
            )
            #expect(moved.attributes == ["site": "paris"])
            let after = try await sites.berlin.pullAll(after: before.cursor)
            #expect(after.rows.map(\.key).sorted() == ["b1", "p1"], "a1 is not sent again: \(after.rows)")
            #expect(after.rows.first { $0.key == "b1" }?.left == true)
            #expect(after.rows.first { $0.key == "p1" }?.data?["v"] == 2)
            // The node now writes as Paris: a Berlin row is outside its scope.
            let push = try await sites.berlin.push(batch(upsert("b2", ["site": "berlin", "v": 3], table: "readings")))
            #expect(push.results.map(\.status) == [.refused])
        }
    }

    /// A node's site changed while its first push committed: the change waited for the tenant's
    /// row, then read with its statement's snapshot whether the node had ever synced, missed the
    /// push, and so took nothing back. The node kept the row it had pushed, now outside its scope.
    @Test("on PostgreSQL a node's site changed while its first push commits still loses the rows it pushed there")
    func attributeChangeDuringFirstPush() async throws {
        let url = try HubBackend.postgresURL()
        try await withHub(.postgres) { storage, client in
            let sites = try await Sites.make(storage, client)
            _ = try await storage.setScopes(tenant: sites.tenant.name, rules: ScopeRules(parsing: Self.minimal))
            let holder = try await PostgresRowHolder(
                url: url,
                locking: "SELECT 1 FROM outpost_tenants WHERE name = '\(sites.tenant.name)'"
            )
            let push = Task {
                try await sites.berlin.push(batch(upsert("b1", ["site": "berlin", "v": 1], table: "readings")))
            }
            try await holder.waitUntilBlocking(1, "the first push waits for the tenant's row")
            let move = Task {
                try await storage.setAttributes(
                    nodeID: sites.tenant.nodeIDs[0],
                    attributes: NodeAttributes(["site": "paris", "sites": "paris"])
                )
            }
            try await holder.waitUntilBlocking(2, "the site change waits behind the push")
            try await holder.release()
            #expect(try await push.value.results.map(\.status) == [.applied])
            _ = try await move.value
            let pulled = try await sites.berlin.pullAll()
            #expect(pulled.rows.contains { $0.key == "b1" && $0.left }, "b1 must leave the node: \(pulled.rows)")
        }
    }

    @Test(
        "scopes set on a tenant whose nodes hold every row take away what each may no longer see; removed, give it back",
        arguments: HubBackend.allCases
    )
    func scopesChange(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let sites = try await Sites.make(storage, client)
            _ = try await sites.berlin.push(batch(upsert("b1", ["site": "berlin", "v": 1], table: "readings")))
            _ = try await sites.paris.push(
                batch(upsert("p1", ["site": "paris", "v": 2], table: "readings"), upsert("a1", ["name": "Cam"]))
            )
            let unscoped = try await sites.berlin.pullAll()
            #expect(Set(unscoped.rows.map(\.key)) == ["b1", "p1", "a1"])

            _ = try await storage.setScopes(tenant: sites.tenant.name, rules: ScopeRules(parsing: Self.minimal))
            let scoped = try await sites.berlin.pullAll(after: unscoped.cursor)
            #expect(scoped.rows.filter(\.left).map(\.key) == ["p1"], "\(scoped.rows)")
            #expect(!scoped.rows.contains { $0.key == "a1" }, "shared rows are not sent again")

            _ = try await storage.setScopes(tenant: sites.tenant.name, rules: ScopeRules())
            let shared = try await sites.berlin.pullAll(after: scoped.cursor)
            #expect(shared.rows.contains { $0.key == "p1" && !$0.deleted }, "\(shared.rows)")
        }
    }

    @Test("attributes and scopes are kept per node and tenant, and shown", arguments: HubBackend.allCases)
    func adminState(backend: HubBackend) async throws {
        try await backend.withStorage { storage in
            let tenant = try await TestTenant.make(in: storage)
            let node = try await storage.setAttributes(
                nodeID: tenant.nodeIDs[0],
                attributes: NodeAttributes(["site": "berlin"])
            )
            #expect(node.attributes == ["site": "berlin"])
            #expect(try await storage.nodes(tenant: tenant.name).first?.attributes == ["site": "berlin"])
            #expect(try await storage.scopes(tenant: tenant.name) == ScopeRules())
            let rules = try ScopeRules(parsing: Self.minimal)
            _ = try await storage.setScopes(tenant: tenant.name, rules: rules)
            #expect(try await storage.scopes(tenant: tenant.name) == rules)
            await #expect(throws: OutpostError.self) {
                try await storage.setScopes(tenant: "no-such-tenant", rules: rules)
            }
            await #expect(throws: OutpostError.self) {
                try await storage.setAttributes(nodeID: "no-such-node", attributes: NodeAttributes())
            }
        }
    }
}

/// A tenant with three nodes: one at Berlin, one at Paris, and one whose `sites` list names both.
private struct Sites {
    let tenant: TestTenant
    let berlin: HubClient
    let paris: HubClient
    let both: HubClient

    static func make(_ storage: any HubStorage, _ client: any TestClientProtocol) async throws -> Sites {
        let tenant = try await TestTenant.make(in: storage, nodes: 3)
        let ids = tenant.nodeIDs
        _ = try await storage.setAttributes(
            nodeID: ids[0],
            attributes: NodeAttributes(["site": "berlin", "sites": "berlin"])
        )
        _ = try await storage.setAttributes(
            nodeID: ids[1],
            attributes: NodeAttributes(["site": "paris", "sites": "paris"])
        )
        // No `site`: it sees readings only through scopes that use its list, `sites`.
        _ = try await storage.setAttributes(nodeID: ids[2], attributes: NodeAttributes(["sites": "berlin, paris"]))
        return Sites(
            tenant: tenant,
            berlin: HubClient(client: client, token: tenant.tokens[ids[0]]!),
            paris: HubClient(client: client, token: tenant.tokens[ids[1]]!),
            both: HubClient(client: client, token: tenant.tokens[ids[2]]!)
        )
    }
}
