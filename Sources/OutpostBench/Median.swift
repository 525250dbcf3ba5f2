extension Array where Element == Double {
    /// The middle value once sorted (the upper of the two middle ones for an even count), or 0
    /// for no values: how the benchmarks sum up repeated timings.
    var median: Double {
        let sorted = self.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
