/// A token bucket of bytes: the link gets `bytesPerSecond` on average, and the last
/// `reserveFraction` of a full bucket is kept for critical changes, so a backlog of ordinary
/// changes cannot hold an alarm back.
///
/// A batch may overdraw the bucket (it is sent whole); the next one then waits until the debt is
/// paid, so the average holds over any window longer than a batch.
package struct BandwidthLimiter: Sendable {
    var bytesPerSecond: Double
    var reserveFraction: Double
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    package init(bytesPerSecond: Double, reserveFraction: Double = 0.2, now: ContinuousClock.Instant) {
        self.bytesPerSecond = bytesPerSecond
        self.reserveFraction = reserveFraction
        // Starting empty keeps the first second from bursting past the cap.
        tokens = 0
        updated = now
    }

    private var capacity: Double { bytesPerSecond }

    /// How long to wait before a batch may go; zero when it may go now.
    package mutating func delay(critical: Bool, now: ContinuousClock.Instant) -> Duration {
        refill(now)
        let floor = critical ? 0 : capacity * reserveFraction
        guard tokens < floor else { return .zero }
        return .milliseconds(Int64(((floor - tokens) / bytesPerSecond * 1000).rounded(.up)))
    }

    /// `bytes` went over the link.
    package mutating func spend(_ bytes: Int, now: ContinuousClock.Instant) {
        refill(now)
        tokens -= Double(bytes)
    }

    private mutating func refill(_ now: ContinuousClock.Instant) {
        let elapsed = (now - updated).seconds
        if elapsed > 0 {
            tokens = min(capacity, tokens + elapsed * bytesPerSecond)
            updated = now
        }
    }
}
