import Foundation
import NIOCore
import OutpostCore
import OutpostProtocol
import OutpostSync
import OutpostTesting
import Synchronization
import Testing

/// A hub past a node's request rate answers 429 with `Retry-After`: the node waits as asked and
/// sends the request again, instead of failing a long pull or push at the first one.
@Suite("Sync: a rate-limited node waits and goes on")
struct RateLimitedSyncTests {
    @Test("a push and a many-page pull that meet 429s on the way finish, with every row")
    func waitsAndGoesOn() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80)
            INSERT INTO agents (id, name, type) SELECT printf('a%03d', i), 'agent ' || i, 'x' FROM n
            """
        )
        let limits = Limits(every: 2, retryAfter: "0.1")
        try a.interpose { RateLimitingLink(inner: $0, limits: limits) }
        let pushed = try await a.sync()
        #expect(pushed.pushed == 80)

        b.configuration.pullLimit = 10
        try b.reconnect()
        try b.interpose { RateLimitingLink(inner: $0, limits: limits) }
        let pulled = try await b.sync()
        #expect(pulled.pulled == 80)
        #expect(limits.refused.withLock { $0 } >= 5, "the link must have refused some requests")
        #expect(try b.syncedContents() == a.syncedContents())
    }

    @Test("a hub asking to wait longer than a minute fails the sync as rate-limited, the request not sent again")
    func longWaitFails() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 1)
        let a = cluster.nodes[0]
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('a1', 'one', 'x')")
        let limits = Limits(every: 1, retryAfter: "120")
        try a.interpose { RateLimitingLink(inner: $0, limits: limits) }
        await #expect {
            try await a.sync()
        } throws: { error in
            (error as? SyncFailure)?.code == .rateLimited && (error as? SyncFailure)?.retryAfter == 120
        }
        let paths = limits.paths.withLock { $0 }
        #expect(!paths.isEmpty && Set(paths).count == paths.count, "a refused request is not sent again: \(paths)")
        #expect(
            try a.queueCount(status: "pending") + a.queueCount(status: "processing") == 1,
            "the change stays queued"
        )
    }
}

/// Which requests ``RateLimitingLink`` refuses, and how many it did.
private final class Limits: Sendable {
    /// Every how many requests one is refused.
    let every: Int
    let retryAfter: String
    let seen = Mutex(0)
    let refused = Mutex(0)
    /// The path of every request refused, in order.
    let paths = Mutex<[String]>([])

    init(every: Int, retryAfter: String) {
        self.every = every
        self.retryAfter = retryAfter
    }
}

/// Answers 429 `rate_limited` with `Retry-After` to every `every`-th request, as a hub past the
/// node's rate does, without passing it on.
private struct RateLimitingLink: HubTransport {
    let inner: any HubTransport
    let limits: Limits

    func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
        let count = limits.seen.withLock { seen in
            seen += 1
            return seen
        }
        guard count % limits.every == 0 else { return try await inner.send(request) }
        limits.refused.withLock { $0 += 1 }
        limits.paths.withLock { $0.append(request.path) }
        return HubTransportAnswer(
            status: 429,
            headers: [("Content-Type", "application/json"), ("Retry-After", limits.retryAfter)],
            body: ByteBuffer(
                string: #"{"error":{"code":"rate_limited","message":"Too many requests from this node."}}"#
            )
        )
    }
}
