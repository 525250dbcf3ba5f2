import Foundation
import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore
import OutpostTesting
import Testing

@testable import OutpostSync

/// The pacing parts on their own (time is passed in), then the cap on a live hub.
@Suite("Sync: pacing", .serialized)
struct PacingTests {
    @Test("the bandwidth limiter keeps a reserve that only critical batches may use")
    func limiterReserve() {
        let start = ContinuousClock.now
        var limiter = BandwidthLimiter(bytesPerSecond: 1_000, reserveFraction: 0.2, now: start)
        // Empty at first: an ordinary batch waits until the reserve is full, a critical one goes.
        #expect(limiter.delay(critical: false, now: start) == .milliseconds(200))
        #expect(limiter.delay(critical: true, now: start) == .zero)
        limiter.spend(1_500, now: start)
        // 1,500 B of debt: an ordinary batch waits 1.7 s, a critical one 1.5 s.
        #expect(limiter.delay(critical: false, now: start) == .milliseconds(1_700))
        #expect(limiter.delay(critical: true, now: start) == .milliseconds(1_500))
        #expect(limiter.delay(critical: false, now: start + .seconds(2)) == .zero)
    }

    @Test("once the daily quota is used up only critical changes go, and the report says the quota held the rest")
    func dailyQuota() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 1)
        let a = cluster.nodes[0]
        a.configuration.dailyQuotaBytes = 1
        try a.reconnect()
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('first', 'First', 'vision')")
        let first = try await a.sync()
        #expect(first.pushed == 1 && !first.quotaReached, "the first batch goes while the day's count is 0")

        try a.execute("INSERT INTO agents (id, name, type) VALUES ('ordinary', 'Ordinary', 'vision')")
        try a.execute("INSERT INTO agents (id, name, type, status) VALUES ('urgent', 'Urgent', 'vision', 'critical')")
        let second = try await a.sync()
        #expect(second.quotaReached)
        #expect(second.pushed == 1, "only the critical change went: \(second)")
        #expect(second.pending == 1)
        #expect(try a.queueCount(status: "pending") == 1)
    }

    @Test("batch size follows the measured link, halves on failure, fits the cap")
    func batchSizer() {
        var sizer = BatchSizer(initial: 200, maximum: 5_000)
        sizer.succeeded(count: 200, elapsed: .milliseconds(50))  // 4,000/s: aim for 2,000 in 0.5 s
        #expect(sizer.size == 800, "grows at most fourfold a step")
        sizer.succeeded(count: 800, elapsed: .milliseconds(200))
        #expect(sizer.size > 800 && sizer.size <= 3_200)
        sizer.failed()
        let halved = sizer.size
        sizer.limit(bytesPerSecond: 4_000, bytesPerChange: 100)
        #expect(sizer.size == 10 && halved > 10, "a quarter second of 4,000 B/s at 100 B a change")
    }

    @Test("backoff doubles with jitter up to its maximum")
    func backoff() {
        var backoff = Backoff(base: .milliseconds(100), maximum: .seconds(1))
        var random = SystemRandomNumberGenerator()
        let waits = (0..<8).map { _ in backoff.next(using: &random) }
        #expect(waits[0] >= .milliseconds(50) && waits[0] <= .milliseconds(100))
        #expect(waits[3] >= .milliseconds(400) && waits[3] <= .milliseconds(800))
        #expect(waits.allSatisfy { $0 <= .seconds(1) })
        backoff.reset()
        #expect(backoff.next(using: &random) <= .milliseconds(100))
    }

    @Test("the link monitor probes quickly while the hub is away, backing off to the online interval")
    func linkMonitor() {
        var link = LinkMonitor(onlineInterval: .seconds(10), offlineInterval: .milliseconds(250))
        #expect(link.isOnline && link.nextProbe == .seconds(10))
        link.succeeded(elapsed: .milliseconds(10))
        link.succeeded(elapsed: .milliseconds(20))
        #expect(link.latency == .milliseconds(12), "smoothed: 10 ms, then a fifth of the way to 20 ms")
        link.succeeded(elapsed: nil)
        #expect(link.latency == .milliseconds(12), "a long poll says nothing about the latency")
        link.failed()
        #expect(!link.isOnline && link.nextProbe == .milliseconds(250))
        link.failed()
        link.failed()
        #expect(link.nextProbe == .seconds(1))
        for _ in 0..<10 { link.failed() }
        #expect(link.nextProbe == .seconds(10), "an outage ends up probed at the online pace")
        link.succeeded(elapsed: .milliseconds(12))
        #expect(link.isOnline && link.failures == 0 && link.nextProbe == .seconds(10))
    }

    @Test("a bandwidth cap holds within 10% over a 10 s transfer, on a controlled clock")
    func capHolds() {
        // The engine's pacing loop over 4,000 changes of about 160 B: wait for the bucket, send a
        // batch (400 B of HTTP around it, 20 ms on the wire), spend what went, fit the next batch.
        let cap = 8_000.0
        let start = ContinuousClock.now
        var now = start
        var limiter = BandwidthLimiter(bytesPerSecond: cap, now: now)
        var sizer = BatchSizer(initial: 200, maximum: 5_000)
        var backlog = 4_000
        var bytes = 0
        while now < start + .seconds(10), backlog > 0 {
            now += limiter.delay(critical: false, now: now)
            let count = min(sizer.size, backlog)
            let sent = 400 + count * 160
            now += .milliseconds(20)
            limiter.spend(sent, now: now)
            sizer.succeeded(count: count, elapsed: .milliseconds(20))
            sizer.limit(bytesPerSecond: cap, bytesPerChange: Double(sent) / Double(count))
            backlog -= count
            bytes += sent
        }
        let rate = Double(bytes) / (now - start).seconds
        #expect(backlog > 0, "the backlog should outlast the 10 s")
        #expect(abs(rate - cap) / cap <= 0.10, "measured \(Int(rate)) B/s against a cap of \(Int(cap)) B/s")
    }

    @Test("under a cap, a critical change overtakes a backlog of ordinary ones", arguments: SyncBackend.allCases)
    func criticalOvertakesBacklog(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        a.configuration.bandwidthBytesPerSecond = 4_000
        try a.reconnect()
        for index in 0..<600 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'ordinary', 'x')", ["n\(index)"])
        }
        let pushing = Task { try await a.engine.push() }
        try await eventually("the backlog has started to go") { try a.queueCount(status: "completed") > 0 }
        try a.execute("INSERT INTO agents (id, name, type, status) VALUES ('alarm', 'Alarm', 'x', 'critical')")
        // The alarm reaches the hub while ordinary changes still wait.
        var ordinaryLeft = 0
        try await eventually("the alarm reaches the hub", every: .milliseconds(100)) {
            let rows = try await b.engine.client.pull(after: 0, limit: 5_000).value.rows
            ordinaryLeft = try a.queueCount(status: "pending")
            return rows.contains { $0.key == "alarm" }
        }
        #expect(ordinaryLeft > 100, "the alarm should not wait for the backlog (\(ordinaryLeft) ordinary left)")
        pushing.cancel()
        _ = try? await pushing.value
    }
}
