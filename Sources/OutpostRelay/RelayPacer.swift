import OutpostSync
import Synchronization

/// The relay's bandwidth cap on the WAN link: the node engine's token bucket (a fifth kept for
/// critical changes), spent after each exchange; the answer is how long to wait before the next.
package final class RelayPacer: Sendable {
    private let limiter: Mutex<BandwidthLimiter?>

    /// - Parameter bytesPerSecond: the cap; nil for none.
    package init(bytesPerSecond: Double?) {
        limiter = Mutex(bytesPerSecond.map { BandwidthLimiter(bytesPerSecond: $0, now: .now) })
    }

    /// Counts `bytes` against the cap; how long the link needs before it has room again (a
    /// `critical` exchange may use the fifth of the cap kept for it).
    func spend(_ bytes: Int, critical: Bool) -> Duration {
        limiter.withLock { limiter in
            guard limiter != nil else { return .zero }
            let now = ContinuousClock.now
            limiter!.spend(bytes, now: now)
            return limiter!.delay(critical: critical, now: now)
        }
    }
}
