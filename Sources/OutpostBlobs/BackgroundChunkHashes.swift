import Dispatch
import OutpostProtocol

/// The SHA-256 of each chunk of a put's window, and whether deflating it is worth trying,
/// computed on a thread of its own while the put cuts the next window and stores the one before:
/// with ``BackgroundDigest`` taking the whole-file hash, the two hashes of every byte no longer
/// run on the put's thread.
///
/// A put keeps at most two windows here (the one being hashed and the one it stores), so memory
/// stays flat however large the file.
final class BackgroundChunkHashes: @unchecked Sendable {
    private let queue = DispatchQueue(label: "outpost.chunk-hashes")
    private let done = DispatchSemaphore(value: 0)
    /// One chunk's findings.
    struct Chunk {
        var hash: String
        /// ``ChunkFrame/mayCompress(_:)``.
        var mayCompress: Bool
    }

    /// Written on `queue` before `done` is signalled; read by the caller after waiting.
    private var chunks: [Chunk] = []

    /// Starts hashing the chunks of `window`, cut at `lengths`.
    init(of window: ArraySlice<UInt8>, lengths: [Int]) {
        queue.async { [self] in
            var chunks: [Chunk] = []
            chunks.reserveCapacity(lengths.count)
            window.withUnsafeBytes { bytes in
                var offset = 0
                for length in lengths {
                    let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
                    chunks.append(Chunk(hash: ChunkHash.of(chunk), mayCompress: ChunkFrame.mayCompress(chunk)))
                    offset += length
                }
            }
            self.chunks = chunks
            done.signal()
        }
    }

    /// The findings, in the window's order, once computed; call once.
    func wait() -> [Chunk] {
        done.wait()
        return chunks
    }
}
