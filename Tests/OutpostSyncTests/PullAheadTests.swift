import Foundation
import GRDB
import NIOCore
import OutpostCore
import OutpostProtocol
import OutpostStore
import OutpostSync
import OutpostTesting
import Synchronization
import Testing

/// The pull asks for the next pages while the node writes one (`PullAhead`): three pages ahead
/// at most, one request at a time, each page once; pages asked for ahead of a re-sync are dropped.
@Suite("Sync: pages asked for ahead of the writer")
struct PullAheadTests {
    /// Two nodes: the first has pushed `count` agents, the second pulls ten rows a page.
    static func rowsToPull(_ count: Int, backend: SyncBackend) async throws -> SyncCluster {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO agents (id, name, type) SELECT printf('a%03d', i), 'agent ' || i, 'x' FROM n
            """,
            [count]
        )
        try await a.sync()
        b.configuration.pullLimit = 10
        try b.reconnect()
        return cluster
    }

    /// A node whose store's writer is busy cannot write its first page; meanwhile it goes on
    /// asking for the pages after it, three and no more.
    @Test(
        "while the node cannot write, it asks for three pages ahead and no more; then every page once, in order",
        arguments: SyncBackend.allCases
    )
    func threePagesAhead(backend: SyncBackend) async throws {
        let cluster = try await Self.rowsToPull(95, backend: backend)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let log = PullLog()
        try b.interpose { WriterBlockingLink(inner: $0, log: log, store: b.store) }

        let report = try await b.sync()

        #expect(report.pulled == 95)
        let seen = log.seen
        #expect(seen.blockedAhead == 3, "pages asked for past the node's cursor while its writer was held")
        #expect(seen.mostAhead <= 3)
        #expect(seen.mostInFlight == 1, "one request at a time")
        #expect(seen.cursors == seen.cursors.sorted() && Set(seen.cursors).count == seen.cursors.count)
        #expect(seen.cursors.count == 10)
        #expect(try b.syncedContents() == a.syncedContents())
    }

    @Test("a hub that asks for a re-sync on a page asked for ahead gets one, and the node ends with every row")
    func resyncOnAPageAhead() async throws {
        let cluster = try await Self.rowsToPull(60, backend: .sqlite)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let refusals = Refusals()
        try b.interpose { ResyncAskingLink(inner: $0, refusals: refusals, afterPage: 3) }

        let report = try await b.sync()

        #expect(report.resynced)
        #expect(refusals.left.withLock { $0 } == 0, "the hub's 410 was met")
        #expect(try b.syncedContents() == a.syncedContents())
        #expect(try await b.sync().resynced == false)
    }
}

/// What ``WriterBlockingLink`` saw of the node's pull requests.
private final class PullLog: Sendable {
    struct Seen {
        /// The `after` of every pull request, in the order they were made.
        var cursors: [Int64] = []
        var inFlight = 0
        var mostInFlight = 0
        /// Pages asked for past the node's written cursor, at most, and while the writer was held.
        var mostAhead = 0
        var blockedAhead = 0
        var blocking = false
    }

    private let state = Mutex(Seen())

    var seen: Seen { state.withLock { $0 } }

    func update<T>(_ body: (inout Seen) -> T) -> T { state.withLock { body(&$0) } }
}

/// Holds the node's store's writer from its first pull request until the node has asked for
/// three pages past it, and records every pull request.
private struct WriterBlockingLink: HubTransport {
    let inner: any HubTransport
    let log: PullLog
    let store: Store

    func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
        guard request.path.hasPrefix("/v1/pull"), let after = Self.after(request.path) else {
            return try await inner.send(request)
        }
        let written =
            (try? await store.read { db in
                try Int64.fetchOne(db, sql: "SELECT value FROM outpost_sync_state WHERE key = 'cursor'")
            }) ?? nil
        let first = log.update { seen in
            seen.cursors.append(after)
            seen.inFlight += 1
            seen.mostInFlight = max(seen.mostInFlight, seen.inFlight)
            let ahead = seen.cursors.filter { $0 > (written ?? 0) }.count
            seen.mostAhead = max(seen.mostAhead, ahead)
            if seen.blocking { seen.blockedAhead = ahead }
            return seen.cursors.count == 1
        }
        if first { await hold() }
        defer { log.update { $0.inFlight -= 1 } }
        return try await inner.send(request)
    }

    /// Holds the store's writer, on a thread of its own, as a long write by the node's own
    /// program would, and lets go once three pages are asked for ahead (or two minutes went by:
    /// a loaded machine's PostgreSQL can take seconds a page); returns once it holds it.
    private func hold() async {
        let (log, store) = (log, store)
        Thread.detachNewThread {
            try? store.write { _ in
                log.update { $0.blocking = true }
                let deadline = ContinuousClock.now + .seconds(120)
                while ContinuousClock.now < deadline, log.seen.blockedAhead < 3 {
                    Thread.sleep(forTimeInterval: 0.02)
                }
                // Requests already on their way count as asked while held.
                Thread.sleep(forTimeInterval: 0.2)
                log.update { $0.blocking = false }
            }
        }
        while !log.seen.blocking { try? await Task.sleep(for: .milliseconds(5)) }
    }

    static func after(_ path: String) -> Int64? {
        URLComponents(string: path)?.queryItems?.first { $0.name == "after" }?.value.flatMap { Int64($0) }
    }
}

/// How many 410s ``ResyncAskingLink`` has left to give, and the pull requests it saw.
private final class Refusals: Sendable {
    let left = Mutex(1)
    let pages = Mutex(0)
}

/// Answers 410 `resync_required` once, to the request for the page after the first `afterPage`
/// pages: a page the node asked for ahead.
private struct ResyncAskingLink: HubTransport {
    let inner: any HubTransport
    let refusals: Refusals
    let afterPage: Int

    func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
        guard request.path.hasPrefix("/v1/pull") else { return try await inner.send(request) }
        let page = refusals.pages.withLock { count in
            count += 1
            return count
        }
        let refuse =
            page == afterPage + 1
            && refusals.left.withLock { left in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
        guard refuse else { return try await inner.send(request) }
        let body = #"{"error":{"code":"\#(ProtocolErrorCode.resyncRequired)","message":"collected"}}"#
        return HubTransportAnswer(
            status: 410,
            headers: [("Content-Type", "application/json")],
            body: ByteBuffer(string: body)
        )
    }
}
