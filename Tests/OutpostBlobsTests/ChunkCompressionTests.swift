import Crypto
import OutpostCore
import Testing

@testable import OutpostProtocol

/// Which chunks are deflated: those that compress; chunks whose bytes look random are not even
/// tried (deflating them cost ~4 s of a 256 MiB put and saved nothing).
@Suite("Chunk compression")
struct ChunkCompressionTests {
    static func frame(_ bytes: [UInt8]) -> ChunkFrame {
        bytes.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: Hex.encode(SHA256.hash(data: bytes))) }
    }

    static func looksRandom(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { ChunkFrame.looksIncompressible($0) }
    }

    @Test("random bytes are not tried; text and a repeated random block are, and are deflated")
    func whatIsDeflated() throws {
        let random = FileStoreFixture.randomBytes(16 << 10, seed: 31)
        #expect(Self.looksRandom(random))
        #expect(Self.frame(random).flags & ChunkFrame.compressedFlag == 0)
        let text = Array(String(repeating: "2026-12-06T10:00:00Z,line-3,temperature,21.5\n", count: 400).utf8)
        #expect(!Self.looksRandom(text))
        #expect(Self.frame(text).flags & ChunkFrame.compressedFlag != 0)
        // Evenly spread bytes that repeat at a distance still compress: the check leaves them be.
        let block = FileStoreFixture.randomBytes(1 << 10, seed: 32)
        let repeated = Array((0..<16).map { _ in block }.joined())
        #expect(!Self.looksRandom(repeated))
        #expect(Self.frame(repeated).flags & ChunkFrame.compressedFlag != 0)
        // Under 4 KiB (a file's chunk lists) every chunk is tried.
        #expect(!Self.looksRandom(FileStoreFixture.randomBytes(2 << 10, seed: 33)))
        for frame in [Self.frame(random), Self.frame(text), Self.frame(repeated)] {
            #expect(try frame.plainBytes(maximumSize: 1 << 20).count > 0)
        }
    }
}
