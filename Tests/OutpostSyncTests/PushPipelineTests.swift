import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostSync
import Synchronization
import Testing

/// A push plans the next batch while the one before it travels, so two batches can be in flight
/// when a push stops. Neither may be lost, applied twice or merged with the node's own change.
@Suite("Sync: a batch planned while another travels")
struct PushPipelineTests {
    @Test(
        "a push whose answer is lost with the next batch already planned repeats both and loses nothing",
        arguments: SyncBackend.allCases
    )
    func answerLostWithBatchAhead(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        a.configuration.initialBatchSize = 50
        a.configuration.maximumBatchSize = 50
        let link = AnswerLosingLink(losingPush: 2)
        try a.interpose { link.wrap($0) }
        for index in 0..<200 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'row', 'x')", ["p\(index)"])
        }

        // The hub applies the second batch, its answer is lost, and the third is planned already.
        await #expect(throws: SyncFailure.self) { try await a.engine.push() }
        // (Counted by batch: a loaded machine makes the engine choose smaller batches.)
        let batchesInFlight = try await a.store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(DISTINCT batch_id) FROM sync_queue WHERE status = 'processing'")
        }
        #expect(batchesInFlight == 2, "two batches in flight when the push stopped")
        let report = try await a.engine.push()
        #expect(report.merged == 0 && report.parked == 0, "no change met its own earlier copy: \(report)")
        #expect(try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 0)
        #expect(
            try await cluster.countOnHub(
                "SELECT last_seq FROM outpost_tenants WHERE name = '\(cluster.tenant)'"
            ) == 200,
            "each change applied once"
        )
        try await b.sync()
        #expect(try b.syncedContents()["agents"]?.count == 200)
    }
}

/// Passes requests to the hub and loses the answer to the `losingPush`-th push, as a link that
/// drops after the hub committed.
private final class AnswerLosingLink: Sendable {
    private let losingPush: Int
    private let pushes = Mutex(0)

    init(losingPush: Int) { self.losingPush = losingPush }

    func wrap(_ inner: any HubTransport) -> any HubTransport { Link(inner: inner, owner: self) }

    private struct Link: HubTransport {
        let inner: any HubTransport
        let owner: AnswerLosingLink

        func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
            let answer = try await inner.send(request)
            guard request.path.hasPrefix("/v1/push") else { return answer }
            let count = owner.pushes.withLock { count in
                count += 1
                return count
            }
            if count == owner.losingPush { throw .unreachable("the answer was lost") }
            return answer
        }
    }
}
