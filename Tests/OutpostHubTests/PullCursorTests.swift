import HTTPTypes
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostHub

/// A pull with cursor C tells the hub the node holds everything up to C; the hub keeps the
/// highest such cursor (tombstones are collected below the lowest of the live nodes').
@Suite("The cursor a pull records")
struct PullCursorTests {
    @Test(
        "a pull records its cursor, never lowers it, and a table-filtered pull records nothing",
        arguments: HubBackend.allCases
    )
    func recordsCursor(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            func recorded() async throws -> NodeInfo {
                try #require(try await storage.nodes(tenant: tenant.name).first { $0.id == tenant.nodeIDs[0] })
            }
            _ = try await node.push(batch(upsert("a1", ["name": "A"]), upsert("a2", ["name": "B"])))
            #expect(try await recorded().lastSeenAt == nil)
            _ = try await node.pull(after: 0)
            #expect(try await recorded().cursor == 0)
            #expect(try await recorded().lastSeenAt != nil)
            _ = try await node.pull(after: 2)
            #expect(try await recorded().cursor == 2)
            #expect(try await recorded().lag == 0)
            _ = try await node.pull(after: 1)
            #expect(try await recorded().cursor == 2, "an older cursor does not lower the recorded one")
            _ = try await node.push(batch(upsert("a3", ["name": "C"])))
            _ = try await node.raw("/v1/pull?after=3&table=agents", method: .get)
            #expect(try await recorded().cursor == 2, "a table-filtered pull says nothing of the cursor")
            #expect(try await recorded().lag == 1)
        }
    }
}
