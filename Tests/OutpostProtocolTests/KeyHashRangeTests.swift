import OutpostCore
import OutpostProtocol
import Testing

/// The arithmetic verify narrows ranges with: every hash falls in exactly one bucket, and a
/// bucket's range holds exactly the hashes that fall in it.
@Suite("Key-hash ranges")
struct KeyHashRangeTests {
    static let ranges: [KeyHashRange] = [
        .all,
        KeyHashRange(lower: 0, upper: 0),
        KeyHashRange(lower: 10, upper: 20),
        KeyHashRange(lower: .max - 5, upper: .max),
        KeyHashRange.all.bucketRange(63, count: 64)!,
    ]

    @Test("buckets tile the range without gaps or overlaps", arguments: ranges, [1, 3, 64, 4096])
    func bucketsTile(range: KeyHashRange, count: Int) {
        var next = range.lower
        var finished = false
        for index in 0..<count where !finished {
            guard let bucket = range.bucketRange(index, count: count) else {
                #expect(range.upper - range.lower + 1 < count, "only a range narrower than its buckets has empty ones")
                continue
            }
            #expect(bucket.lower == next, "bucket \(index) starts where the last ended")
            #expect(range.bucket(of: bucket.lower, count: count) == index)
            #expect(range.bucket(of: bucket.upper, count: count) == index)
            if bucket.upper == range.upper {
                finished = true
            } else {
                next = bucket.upper + 1
            }
        }
        #expect(finished, "the buckets reach the end of the range")
    }

    @Test("sampled hashes fall in the bucket whose range holds them")
    func hashesFallInTheirBucket() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let hash = UInt64.random(in: .min ... .max, using: &generator)
            let index = KeyHashRange.all.bucket(of: hash, count: 64)
            #expect((0..<64).contains(index))
            #expect(KeyHashRange.all.bucketRange(index, count: 64)?.contains(hash) == true)
        }
    }

    @Test("a row hash depends on the key, each value and its type, not on member order")
    func rowHash() {
        let columns = ["a", "b"]
        let row: JSONValue = ["a": 1, "b": "x"]
        let hash = RowFingerprint.rowHash(key: "k", data: row, columns: columns)
        #expect(hash == RowFingerprint.rowHash(key: "k", data: ["b": "x", "a": 1, "ignored": 5], columns: columns))
        #expect(hash != RowFingerprint.rowHash(key: "k2", data: row, columns: columns))
        #expect(hash != RowFingerprint.rowHash(key: "k", data: ["a": 1.0, "b": "x"], columns: columns))
        #expect(hash != RowFingerprint.rowHash(key: "k", data: ["a": 1, "b": ["$blob": "eA=="]], columns: columns))
        #expect(
            RowFingerprint.rowHash(key: "k", data: ["a": 1], columns: columns)
                == RowFingerprint.rowHash(key: "k", data: ["a": 1, "b": nil], columns: columns),
            "a column the row lacks counts as null"
        )
    }
}
