/// Picks how many changes the next push carries from what the link just did: aim for batches
/// that take ``targetDuration``; halve after a failure; never exceed what the bandwidth cap
/// lets through in a quarter of a second, so the cap holds closely over a few seconds.
struct BatchSizer: Sendable {
    var targetDuration: Duration = .milliseconds(500)
    var minimum = 10
    var maximum = 5_000
    private(set) var size = 200
    /// Smoothed changes per second the link has carried.
    private(set) var throughput: Double = 0

    init(initial: Int = 200, maximum: Int = 5_000) {
        self.maximum = maximum
        size = min(initial, maximum)
    }

    /// A batch of `count` changes took `elapsed`.
    mutating func succeeded(count: Int, elapsed: Duration) {
        let seconds = max(elapsed.seconds, 0.001)
        let rate = Double(count) / seconds
        throughput = throughput == 0 ? rate : throughput * 0.7 + rate * 0.3
        // A short batch says little about the link's capacity: grow at most fourfold a step.
        let wanted = Int(throughput * targetDuration.seconds)
        size = clamp(min(wanted, size * 4))
    }

    mutating func failed() {
        size = clamp(size / 2)
    }

    /// Caps the size so one batch fits a quarter second of the bandwidth cap, given the bytes
    /// a change took.
    mutating func limit(bytesPerSecond: Double, bytesPerChange: Double) {
        guard bytesPerSecond > 0, bytesPerChange > 0 else { return }
        size = max(1, min(size, Int(bytesPerSecond / 4 / bytesPerChange)))
    }

    private func clamp(_ value: Int) -> Int { Swift.max(minimum, Swift.min(maximum, value)) }
}
