/// A closed range of the 64-bit key-hash space, cut into equal buckets for a digest.
///
/// Verification starts with the whole space and narrows to the buckets that differ, so a table
/// that matches costs one small answer, and one differing row a few more.
public struct KeyHashRange: Sendable, Equatable {
    public var lower: UInt64
    public var upper: UInt64

    public static let all = KeyHashRange(lower: 0, upper: .max)

    public init(lower: UInt64, upper: UInt64) {
        precondition(lower <= upper, "a key-hash range must not be empty")
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ hash: UInt64) -> Bool { hash >= lower && hash <= upper }

    /// How many hashes the range holds (up to 2^64, hence the wider type).
    private var size: UInt128 { UInt128(upper) - UInt128(lower) + 1 }

    /// Which of `count` buckets `hash` (inside the range) falls in: the range is cut in
    /// proportion, so every bucket is within one hash of the same width.
    public func bucket(of hash: UInt64, count: Int) -> Int {
        Int(UInt128(hash - lower) * UInt128(count) / size)
    }

    /// The range of bucket `index` of `count`, or `nil` when the range is narrower than `count`
    /// hashes and this bucket holds none.
    public func bucketRange(_ index: Int, count: Int) -> KeyHashRange? {
        let start = firstOffset(of: index, count: count)
        let end = firstOffset(of: index + 1, count: count)
        guard end > start else { return nil }
        return KeyHashRange(lower: lower + UInt64(start), upper: lower + UInt64(end - 1))
    }

    /// The smallest offset from `lower` that falls in bucket `index`: ⌈index × size / count⌉.
    private func firstOffset(of index: Int, count: Int) -> UInt128 {
        (UInt128(index) * size + UInt128(count) - 1) / UInt128(count)
    }
}
