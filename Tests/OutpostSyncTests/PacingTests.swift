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

    @Test("a bandwidth cap holds within 10% over a 10 s transfer")
    func capHolds() async throws {
        let cluster = try SyncCluster(.sqlite, nodes: 1)
        let a = cluster.nodes[0]
        let cap = 8_000.0
        a.configuration.bandwidthBytesPerSecond = cap
        try a.connect(to: try #require(cluster.hub).url)
        try a.store.write { db in
            for index in 0..<4_000 {
                try db.execute(
                    sql: "INSERT INTO agents (id, name, type, config) VALUES (?, ?, 'sensor', ?)",
                    arguments: [
                        UUID().uuidString, "Sensor \(index)", "{\"threshold\": \(index % 97), \"unit\": \"C\"}",
                    ]
                )
            }
        }
        // Push for 10 s, then read what went over the link (the counters move batch by batch).
        let pushing = Task { try await a.engine.push() }
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(10))
        let statistics = try SyncStatistics.load(store: a.store, home: a.home)
        let seconds = (ContinuousClock.now - start).seconds
        pushing.cancel()
        _ = try? await pushing.value
        let rate = Double(statistics.bytesSent + statistics.bytesReceived) / seconds
        #expect(try a.queueCount(status: "pending") > 0, "the backlog should outlast the 10 s")
        #expect(abs(rate - cap) / cap <= 0.10, "measured \(Int(rate)) B/s against a cap of \(Int(cap)) B/s")
    }

    @Test("under a cap, a critical change overtakes a backlog of ordinary ones", arguments: SyncBackend.allCases)
    func criticalOvertakesBacklog(backend: SyncBackend) async throws {
        let cluster = try SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        a.configuration.bandwidthBytesPerSecond = 4_000
        try a.connect(to: try #require(cluster.hub).url)
        for index in 0..<600 {
            try a.execute("INSERT INTO agents (id, name, type) VALUES (?, 'ordinary', 'x')", ["n\(index)"])
        }
        let pushing = Task { try await a.engine.push() }
        try await Task.sleep(for: .seconds(1))
        try a.execute("INSERT INTO agents (id, name, type, status) VALUES ('alarm', 'Alarm', 'x', 'critical')")
        // The alarm reaches the hub while ordinary changes still wait.
        let deadline = ContinuousClock.now + .seconds(20)
        var alarmSeen = false
        var ordinaryLeft = 0
        while ContinuousClock.now < deadline, !alarmSeen {
            try await Task.sleep(for: .milliseconds(100))
            let rows = try await b.engine.client.pull(after: 0, limit: 5_000).value.rows
            alarmSeen = rows.contains { $0.key == "alarm" }
            ordinaryLeft = try a.queueCount(status: "pending")
        }
        #expect(alarmSeen)
        #expect(ordinaryLeft > 100, "the alarm should not wait for the backlog (\(ordinaryLeft) ordinary left)")
        pushing.cancel()
        _ = try? await pushing.value
    }
}
