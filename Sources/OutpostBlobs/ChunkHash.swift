import Crypto
import OutpostCore
import OutpostProtocol

/// Chunk and file identities: SHA-256, as 64 lower-case hex digits.
package enum ChunkHash {
    package static func of(_ bytes: UnsafeRawBufferPointer) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }

    package static func of(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { of($0) }
    }

    /// Whether `text` is a well-formed hash (64 lower-case hex digits).
    package static func isWellFormed(_ text: String) -> Bool {
        ChunkFrame.isWellFormedHash(text)
    }
}
