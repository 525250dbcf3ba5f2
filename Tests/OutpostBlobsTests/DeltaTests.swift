import Crypto
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostBlobs

@Suite("Chunk deltas")
struct DeltaTests {
    static func hash(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(data: bytes)) }

    @Test("a chunk edited in the middle travels as its edit and rebuilds exactly on its base")
    func editInTheMiddle() throws {
        let base = FileStoreFixture.randomBytes(16 << 10, seed: 1)
        var edited = base
        edited.replaceSubrange(6000..<6100, with: FileStoreFixture.randomBytes(100, seed: 2))
        let frame = try #require(
            ChunkFrame.delta(plain: edited, hash: Self.hash(edited), bases: [(Self.hash(base), base)])
        )
        #expect(frame.deltaBases == [Self.hash(base), Self.hash(base)])
        #expect(frame.payload.count < 200, "\(frame.payload.count) bytes for a 100-byte edit")
        #expect(try frame.plainBytes(maximumSize: 1 << 20) { $0 == Self.hash(base) ? base : nil } == edited)
        let decoded = try ChunkFrame.decode(ChunkFrame.encode([frame]), maximumPayload: 1 << 20)
        #expect(decoded == [frame])
        #expect(throws: OutpostError.self) { try frame.plainBytes(maximumSize: 1 << 20) }
        let wrong = FileStoreFixture.randomBytes(16 << 10, seed: 9)
        #expect(throws: OutpostError.self) { try frame.plainBytes(maximumSize: 1 << 20) { _ in wrong } }
    }

    @Test("chunks that share too little get no delta")
    func unrelated() {
        let a = FileStoreFixture.randomBytes(4096, seed: 3)
        let b = FileStoreFixture.randomBytes(4096, seed: 4)
        #expect(ChunkFrame.delta(plain: a, hash: Self.hash(a), bases: [(Self.hash(b), b)]) == nil)
    }

    @Test("a chunk that joins two old chunks takes its head from one and its tail from the other")
    func twoBases() throws {
        let first = FileStoreFixture.randomBytes(8 << 10, seed: 5)
        let second = FileStoreFixture.randomBytes(8 << 10, seed: 6)
        // An edit over the boundary between them made one chunk of the two.
        let joined = Array(first.prefix(7000)) + FileStoreFixture.randomBytes(300, seed: 7) + Array(second.suffix(7000))
        let bases = [(Self.hash(first), first), (Self.hash(second), second)]
        let frame = try #require(ChunkFrame.delta(plain: joined, hash: Self.hash(joined), bases: bases))
        #expect(frame.deltaBases == [Self.hash(first), Self.hash(second)])
        #expect(frame.payload.count < 400, "\(frame.payload.count) bytes for a 300-byte edit")
        let lookup = Dictionary(uniqueKeysWithValues: bases)
        #expect(try frame.plainBytes(maximumSize: 1 << 20) { lookup[$0] } == joined)
    }

    @Test("bases: the old chunk after the last unchanged one, and the one before the next unchanged one")
    func plannedBases() {
        let old = ["a", "b", "c", "d", "e"]
        // c was rewritten as x; d was split into y and z.
        let new = ["a", "b", "x", "y", "z", "e"]
        let plan = FileStore.planned(new, against: old)
        #expect(plan.map(\.hash) == ["x", "y", "z"])
        #expect(plan[0].bases == ["c", "d"])
        #expect(plan[1].bases == ["c", "d"])
        #expect(plan[2].bases == ["c", "d"])
        #expect(FileStore.planned(["p", "q"], against: []).allSatisfy { $0.bases.isEmpty })
        #expect(FileStore.planned(["n", "a", "b"], against: ["m", "a", "b"])[0].bases == ["m"])
    }
}
