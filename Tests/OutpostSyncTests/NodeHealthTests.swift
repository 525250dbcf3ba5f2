import Foundation
import OutpostCore
import OutpostSync
import Testing

/// The rules `/health` judges a node by, alone: each reason appears exactly when its fact is
/// past its limit.
@Suite("Node health")
struct NodeHealthTests {
    let now = Date(timeIntervalSince1970: 2_000_000_000)

    private func health(
        lastSync secondsAgo: Double? = 10,
        runningFor running: Double = 3_600,
        maximumSyncAge: Duration? = .seconds(600),
        failed: Int = 0,
        free: Int64 = 50 << 30,
        total: Int64 = 100 << 30
    ) -> NodeHealth {
        NodeHealth(
            lastSyncMilliseconds: secondsAgo.map { Int64((now.timeIntervalSince1970 - $0) * 1000) },
            now: now,
            runningSince: now.addingTimeInterval(-running),
            maximumSyncAge: maximumSyncAge,
            failedChanges: failed,
            freeBytes: free,
            totalBytes: total
        )
    }

    @Test("a node that synced lately, with nothing failed and room on disk, is healthy")
    func healthy() {
        #expect(health().isHealthy)
        #expect(health().json == ["status": "ok"])
    }

    @Test("too long without an exchange is unhealthy; a node that just started gets the allowed age")
    func syncAge() {
        #expect(health(lastSync: 601).reasons.count == 1)
        #expect(health(lastSync: 601).reasons.first?.contains("no exchange with the hub for 601 s") == true)
        #expect(health(lastSync: 599).isHealthy)
        #expect(health(lastSync: nil, runningFor: 30).isHealthy, "just started, not synced yet")
        #expect(health(lastSync: nil, runningFor: 700).reasons.first?.contains("since the node started") == true)
        #expect(health(lastSync: 10_000, maximumSyncAge: nil).isHealthy, "no hub, no sync rule")
    }

    @Test("failed changes and a nearly full disk each give their reason")
    func failedAndDisk() {
        #expect(health(failed: 2).reasons == ["2 change(s) the hub refused wait in the queue as failed"])
        #expect(health(free: 4 << 30, total: 100 << 30).reasons.first?.contains("nearly full") == true, "4 % free")
        #expect(health(free: 100 << 20, total: 1 << 30).reasons.first?.contains("nearly full") == true, "100 MiB")
        #expect(health(free: 6 << 30, total: 100 << 30).isHealthy)
        let all = health(lastSync: 5_000, failed: 1, free: 1 << 20, total: 100 << 30)
        #expect(all.reasons.count == 3)
        #expect(all.json["status"] == "unhealthy")
    }
}
