import OutpostCore
import Testing

@testable import OutpostBlobs

@Suite("Content-defined chunking")
struct ContentDefinedChunkerTests {
    let chunker = ContentDefinedChunker(averageSize: 16 << 10)

    @Test("chunks stay within the minimum and maximum and average near the target")
    func sizes() {
        let bytes = FileStoreFixture.randomBytes(8 << 20, seed: 1)
        let lengths = bytes.withUnsafeBytes { chunker.lengths(of: $0) }
        #expect(lengths.reduce(0, +) == bytes.count)
        #expect(lengths.dropLast().allSatisfy { $0 >= chunker.minimumSize && $0 <= chunker.maximumSize })
        let average = bytes.count / lengths.count
        #expect(average > 10 << 10 && average < 24 << 10, "average \(average)")
    }

    @Test("an insertion in the middle changes only the chunks around it")
    func insertionIsLocal() {
        let original = FileStoreFixture.randomBytes(4 << 20, seed: 2)
        var edited = original
        edited.insert(contentsOf: Array(repeating: 7, count: 100), at: 2 << 20)
        func chunks(_ bytes: [UInt8]) -> Set<[UInt8]> {
            let lengths = bytes.withUnsafeBytes { chunker.lengths(of: $0) }
            var offset = 0
            return Set(
                lengths.map { length in
                    defer { offset += length }
                    return Array(bytes[offset..<offset + length])
                }
            )
        }
        let before = chunks(original)
        let after = chunks(edited)
        let new = after.subtracting(before)
        #expect(new.count >= 1 && new.count <= 3, "\(new.count) new chunks")
        #expect(before.subtracting(after).count <= 3)
    }

    @Test("boundaries do not depend on how the data was read")
    func deterministic() {
        let bytes = FileStoreFixture.randomBytes(1 << 20, seed: 3)
        let first = bytes.withUnsafeBytes { chunker.lengths(of: $0) }
        let second = bytes.withUnsafeBytes { ContentDefinedChunker(averageSize: 16 << 10).lengths(of: $0) }
        #expect(first == second)
        #expect(ContentDefinedChunker.isValidAverageSize(4096))
        #expect(!ContentDefinedChunker.isValidAverageSize(5000))
        #expect(!ContentDefinedChunker.isValidAverageSize(128))
    }

    @Test("boundaries stay where every node already cut: the same lengths as when chunks were first stored")
    func boundariesAreStable() {
        // Fingerprints of today's boundaries: a change here would make every node cut every file
        // differently from the chunks it and the hub hold, and deduplicate nothing.
        let expected: [(average: Int, count: Int, first: [Int], fingerprint: Int)] = [
            (256, 3582, [338, 316, 266, 107, 80, 315], 4_101_708_528_724_747_252),
            (4096, 221, [3287, 3404, 1093, 5314, 6410, 5015], 4_990_873_840_659_396_016),
            (16 << 10, 55, [6691, 17832, 20455, 19122, 21764, 22622], -4_318_797_396_437_588_804),
        ]
        let bytes = FileStoreFixture.randomBytes(1 << 20, seed: 77)
        for (average, count, first, fingerprint) in expected {
            let lengths = bytes.withUnsafeBytes { ContentDefinedChunker(averageSize: average).lengths(of: $0) }
            #expect(lengths.count == count, "average \(average)")
            #expect(Array(lengths.prefix(6)) == first, "average \(average)")
            #expect(lengths.reduce(0) { ($0 &* 31) &+ $1 } == fingerprint, "average \(average)")
        }
    }

    @Test(
        "the cut, four bytes a step, is the gear hash's cut one byte at a time",
        arguments: [256, 1024, 16 << 10]
    )
    func matchesOneByteAtATime(average: Int) {
        let chunker = ContentDefinedChunker(averageSize: average)
        var generator = SplitMix64(seed: UInt64(average))
        // Low-entropy bytes too: runs of one value make long chunks and cuts at the maximum.
        let random = FileStoreFixture.randomBytes(256 << 10, seed: 5)
        let runs = (0..<(256 << 10)).map { UInt8(($0 / 3_000) % 3) }
        for bytes in [random, runs] {
            for _ in 0..<200 {
                let start = Int.random(in: 0..<bytes.count, using: &generator)
                let count = Int.random(in: 0...min(bytes.count - start, chunker.maximumSize + 9), using: &generator)
                let view = bytes[start..<start + count]
                let fast = view.withUnsafeBytes { chunker.cut($0) }
                let reference = view.withUnsafeBytes { Self.referenceCut($0, chunker) }
                #expect(fast == reference, "\(count) bytes at \(start)")
            }
        }
    }

    /// The definition: a gear hash rolled one byte at a time, cut where its masked bits are zero
    /// (two more bits below the average size, two fewer above it).
    static func referenceCut(_ bytes: UnsafeRawBufferPointer, _ chunker: ContentDefinedChunker) -> Int {
        if bytes.count <= chunker.minimumSize { return bytes.count }
        let limit = min(bytes.count, chunker.maximumSize)
        let bits = chunker.averageSize.trailingZeroBitCount
        var hash: UInt64 = 0
        for index in chunker.minimumSize..<limit {
            hash = (hash << 1) &+ ContentDefinedChunker.gear[Int(bytes[index])]
            let mask = ~UInt64(0) << (64 - (index < chunker.averageSize ? bits + 2 : bits - 2))
            if hash & mask == 0 { return index + 1 }
        }
        return limit
    }
}
