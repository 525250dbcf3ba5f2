import OutpostCore
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// A sync keeps who is who in the tenant (`GET /v1/nodes`), so a row's writer can be named
/// offline; both hub backends answer it.
@Suite("Node directory")
struct NodeDirectoryTests {
    @Test("a sync fetches the tenant's node names and which one this node is", arguments: SyncBackend.allCases)
    func syncKeepsDirectory(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        #expect(try SyncEngine.nodeDirectory(in: a.store) == NodeDirectory(), "empty before the first sync")
        try await a.sync()
        let directory = try SyncEngine.nodeDirectory(in: a.store)
        #expect(directory.selfID == a.hubID)
        #expect(directory.names == [a.hubID: "node0", b.hubID: "node1"])
        #expect(directory.describe(origin: a.store.nodeID, localStoreID: a.store.nodeID) == "this node (node0)")
        #expect(directory.describe(origin: b.hubID, localStoreID: a.store.nodeID) == "node1 (\(b.hubID))")
        #expect(directory.describe(origin: "gone", localStoreID: a.store.nodeID) == "node gone")
    }
}
