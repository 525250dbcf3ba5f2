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
}
