import Synchronization

/// Token buckets per key (a node, or a client address), in this hub process: the average rate
/// and the burst it allows.
///
/// Limits are per process; behind a load balancer with N hub processes a node can make up to
/// N times the rate. That is the price of keeping hub processes stateless.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    init(requestsPerSecond: Double, burst: Double) {
        rate = max(requestsPerSecond, 0.001)
        self.burst = max(burst, 1)
    }

    /// Most buckets kept; past it, full ones (keys idle long enough to have refilled) are
    /// dropped, so keys that come and go (client addresses) cannot grow the table for ever.
    static let maximumBuckets = 10_000

    /// Takes one request from `key`'s bucket; returns nil when allowed, else the seconds to wait.
    func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            var bucket = refilled(buckets[key], now: now)
            defer {
                buckets[key] = bucket
                if buckets.count > Self.maximumBuckets { prune(&buckets, now: now) }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return wait(for: bucket)
        }
    }

    /// The seconds `key` must wait before its next request, or nil when it may make one now;
    /// takes nothing from the bucket.
    func waitTime(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            let bucket = refilled(buckets[key], now: now)
            return bucket.tokens >= 1 ? nil : wait(for: bucket)
        }
    }

    private func refilled(_ bucket: Bucket?, now: ContinuousClock.Instant) -> Bucket {
        guard var bucket else { return Bucket(tokens: burst, updated: now) }
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(burst, bucket.tokens + seconds * rate)
        bucket.updated = now
        return bucket
    }

    private func wait(for bucket: Bucket) -> Int {
        max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { refilled($0.value, now: now).tokens < burst }
        // Still over: every key is active. Start afresh rather than filter again on every request.
        if buckets.count > Self.maximumBuckets { buckets.removeAll() }
    }
}
