/// What the node knows about its link to the hub, from probes and from real exchanges.
///
/// Online, it probes every ``onlineInterval``: enough to notice a lost link while the push and
/// pull loops are idle. Offline, the sync loops stand still (no request can succeed) and the
/// monitor probes instead, first after ``offlineInterval`` and doubling up to
/// ``onlineInterval``, so a link that returns quickly is used within a second while a long
/// outage costs one small request every few seconds. Time is passed in, so tests drive it.
public struct LinkMonitor: Sendable, Equatable {
    public let onlineInterval: Duration
    public let offlineInterval: Duration
    public private(set) var isOnline = true
    /// Round-trip time, smoothed over exchanges (an exponentially weighted mean, weight ⅕).
    public private(set) var latency: Duration?
    /// Probes that failed in a row.
    public private(set) var failures = 0

    public init(onlineInterval: Duration = .seconds(10), offlineInterval: Duration = .milliseconds(250)) {
        self.onlineInterval = onlineInterval
        self.offlineInterval = offlineInterval
    }

    /// A probe or a sync exchange answered after `elapsed` (`nil` for a long poll, whose time
    /// is mostly waiting and says nothing about the link).
    public mutating func succeeded(elapsed: Duration?) {
        isOnline = true
        failures = 0
        if let elapsed {
            latency = latency.map { $0 * 0.8 + elapsed * 0.2 } ?? elapsed
        }
    }

    /// A probe or an exchange failed to reach the hub.
    public mutating func failed() {
        isOnline = false
        failures += 1
    }

    /// How long until the next probe.
    public var nextProbe: Duration {
        guard !isOnline else { return onlineInterval }
        let doublings = min(failures - 1, 16)
        return min(offlineInterval * (1 << max(doublings, 0)), onlineInterval)
    }
}
