import CompressNIO
import Foundation
import GRDB
import NIOCore
import OutpostCore
import OutpostProtocol
import OutpostStore
import OutpostSync
import Synchronization
import Testing

/// A batch in flight keeps its request body as it went on the wire (`outpost_sent_batches`),
/// not each change's text in its queue entry, and is sent again from it after a lost answer.
@Suite("Sync: the body a batch in flight keeps")
struct SentBatchTests {
    @Test(
        "a batch whose answer was lost is sent again byte for byte, and its body is dropped once answered",
        arguments: SyncBackend.allCases
    )
    func resentByteForByte(backend: SyncBackend) async throws {
        let (cluster, link) = try await Self.pushStopped(backend, script: [.passLosingAnswer])
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])

        let (kept, encoding, texts) = try await a.store.read { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT body, encoding FROM outpost_sent_batches"))
            let texts = try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM sync_queue WHERE status = 'processing' AND data IS NOT NULL"
            )
            return ([UInt8](row["body"] as Data), row["encoding"] as String, texts)
        }
        #expect(try a.queueCount(status: "processing") == 40)
        #expect(texts == 0, "no entry holds its change's text")
        #expect(encoding == "gzip")
        #expect(kept == link.bodies.first, "the body kept is the one that went on the wire")

        // Edited before the resend: the batch still goes as it was, the edit after it.
        try a.execute("UPDATE agents SET name = 'renamed' WHERE id = 'a0'")
        let report = try await a.engine.push()
        #expect(report.pushed == 41)
        #expect(link.bodies.count == 3)
        #expect(link.bodies[1] == link.bodies[0], "sent again byte for byte")
        #expect(
            try await a.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outpost_sent_batches") } == 0
        )

        try await b.sync()
        #expect(try b.syncedContents() == a.syncedContents())
        let rows = try await b.engine.client.pull(after: 0, limit: 1000).value.rows
        #expect(rows.filter { $0.key != "a0" }.allSatisfy { $0.version == 1 }, "each insert applied once")
        #expect(rows.first { $0.key == "a0" }?.version == 2)
    }

    @Test(
        "a batch a store before v12 sent, each change in its entry, is sent again and applied once",
        arguments: SyncBackend.allCases
    )
    func sentByAnEarlierStore(backend: SyncBackend) async throws {
        let (cluster, _) = try await Self.pushStopped(backend, script: [.passLosingAnswer])
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])

        // As an earlier store left it: each entry holds its change, and no body is kept.
        try await a.store.write { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT body, encoding FROM outpost_sent_batches"))
            var body = ByteBuffer(bytes: [UInt8](row["body"] as Data))
            let text = String(buffer: try body.decompress(with: .gzip(), maxSize: 1 << 24))
            guard case .array(let changes)? = try JSONValue(parsing: text)["changes"] else {
                Issue.record("no changes in \(text.prefix(200))")
                return
            }
            for (position, change) in changes.enumerated() {
                try db.execute(
                    sql: "UPDATE sync_queue SET data = ? WHERE status = 'processing' AND batch_position = ?",
                    arguments: [change.encoded(), position]
                )
            }
            try db.execute(sql: "DELETE FROM outpost_sent_batches")
        }
        let report = try await a.engine.push()
        #expect(report.pushed == 40 && report.merged == 0)
        #expect(try a.queueCount(status: "processing") == 0 && a.queueCount(status: "pending") == 0)
        #expect(
            try await cluster.countOnHub("SELECT last_seq FROM outpost_tenants WHERE name = '\(cluster.tenant)'") == 40,
            "each change applied once"
        )
        try await b.sync()
        #expect(try b.syncedContents() == a.syncedContents())
    }

    @Test(
        "a refused batch split, the node stopped between its halves, sends each half once",
        arguments: SyncBackend.allCases
    )
    func splitInterrupted(backend: SyncBackend) async throws {
        // The whole batch is refused (never reaching the hub); its first half is applied and
        // that answer lost, so the second half is still in flight under the first batch's id.
        let (cluster, _) = try await Self.pushStopped(backend, script: [.refuse, .passLosingAnswer])
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let (batches, bodies) = try await a.store.read { db in
            (
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(DISTINCT batch_id) FROM sync_queue WHERE status = 'processing'"
                ),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM outpost_sent_batches")
            )
        }
        #expect(batches == 2 && bodies == 2, "the applied half and the half never sent, each with its body")

        let report = try await a.engine.push()
        #expect(report.pushed == 40 && report.merged == 0 && report.parked == 0, "\(report)")
        #expect(try a.queueCount(status: "processing") == 0 && a.queueCount(status: "pending") == 0)
        #expect(
            try await cluster.countOnHub("SELECT last_seq FROM outpost_tenants WHERE name = '\(cluster.tenant)'") == 40,
            "each change applied once"
        )
        try await b.sync()
        #expect(try b.syncedContents()["agents"]?.count == 40)
        let rows = try await b.engine.client.pull(after: 0, limit: 1000).value.rows
        #expect(rows.allSatisfy { $0.version == 1 })
    }

    /// Two nodes; the first inserts 40 agents and pushes them through a link that follows
    /// `script`, and the push fails with the batch (or part of it) left in flight.
    private static func pushStopped(_ backend: SyncBackend, script: [PushLink.Step]) async throws -> (
        SyncCluster, PushLink
    ) {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let a = cluster.nodes[0]
        let link = PushLink(script: script)
        try a.interpose { link.wrap($0) }
        for index in 0..<40 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'n', 'x')", ["a\(index)"])
        }
        await #expect(throws: SyncFailure.self) { try await a.engine.push() }
        return (cluster, link)
    }
}

/// Passes pushes to the hub as its script says, one step a push (then passes them all), and
/// records every push body as it went on the wire.
private final class PushLink: Sendable {
    enum Step: Sendable {
        /// Answers 400 without passing the push on, as a hub refusing the whole batch.
        case refuse
        /// Passes the push on, then loses the answer.
        case passLosingAnswer
    }

    private let script: [Step]
    private let sent = Mutex<[[UInt8]]>([])

    init(script: [Step]) { self.script = script }

    var bodies: [[UInt8]] { sent.withLock { $0 } }

    func wrap(_ inner: any HubTransport) -> any HubTransport { Link(inner: inner, owner: self) }

    private struct Link: HubTransport {
        let inner: any HubTransport
        let owner: PushLink

        func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
            guard request.path.hasPrefix("/v1/push") else { return try await inner.send(request) }
            let count = owner.sent.withLock { sent in
                sent.append(request.body.map { Array($0.readableBytesView) } ?? [])
                return sent.count
            }
            let step = count <= owner.script.count ? owner.script[count - 1] : nil
            switch step {
            case .refuse:
                let problem = #"{"error":{"code":"invalid_change","message":"refused by the test"}}"#
                return HubTransportAnswer(
                    status: 400,
                    headers: [("Content-Type", "application/json")],
                    body: ByteBuffer(string: problem)
                )
            case .passLosingAnswer:
                _ = try await inner.send(request)
                throw .unreachable("the answer was lost")
            case nil:
                return try await inner.send(request)
            }
        }
    }
}
