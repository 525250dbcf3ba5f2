import Crypto
import OutpostCore
import OutpostProtocol
import Testing

/// Which chunks are deflated: those that compress, never those whose bytes look random.
@Suite("Chunk compression")
struct ChunkCompressionTests {
    static func frame(_ bytes: [UInt8]) -> ChunkFrame {
        bytes.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: Hex.encode(SHA256.hash(data: bytes))) }
    }

    @Test("random bytes are kept raw; text and a repeated random block are deflated")
    func whatIsDeflated() throws {
        let random = FileStoreFixture.randomBytes(16 << 10, seed: 31)
        #expect(Self.frame(random).flags & ChunkFrame.compressedFlag == 0)
        let text = Array(String(repeating: "2026-12-06T10:00:00Z,line-3,temperature,21.5\n", count: 400).utf8)
        #expect(Self.frame(text).flags & ChunkFrame.compressedFlag != 0)
        // Evenly spread bytes that repeat at a distance still compress: the check leaves them be.
        let block = FileStoreFixture.randomBytes(1 << 10, seed: 32)
        let repeated = Array((0..<16).map { _ in block }.joined())
        #expect(Self.frame(repeated).flags & ChunkFrame.compressedFlag != 0)
        for frame in [Self.frame(random), Self.frame(text), Self.frame(repeated)] {
            #expect(try frame.plainBytes(maximumSize: 1 << 20).count > 0)
        }
    }
}
