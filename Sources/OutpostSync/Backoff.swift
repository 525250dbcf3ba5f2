/// Exponential backoff with jitter: after the n-th failure in a row, wait a random time between
/// half and all of `base · 2ⁿ⁻¹` (at most `maximum`), so nodes that lost the hub together do not
/// come back together.
struct Backoff: Sendable {
    var base: Duration = .milliseconds(250)
    var maximum: Duration = .seconds(60)
    private(set) var failures = 0

    mutating func reset() { failures = 0 }

    /// The wait before the next try, after one more failure.
    mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
        failures += 1
        let ceiling = min(maximum.seconds, base.seconds * Double(1 << min(failures - 1, 20)))
        return .milliseconds(Int64(Double.random(in: ceiling / 2...ceiling, using: &generator) * 1000))
    }
}
