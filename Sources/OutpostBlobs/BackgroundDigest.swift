import Crypto
import Dispatch

/// A SHA-256 of a stream, computed on a thread of its own while the caller goes on: a file's
/// whole-content hash beside the per-chunk work of a put or a get, so the two hashes of every
/// byte take two cores instead of one after the other.
///
/// Bytes are handed over as they are (small pieces gathered into blocks of ``blockSize``); at
/// most ``blocksInFlight`` wait, so memory stays flat however large the file.
final class BackgroundDigest: @unchecked Sendable {
    static let blockSize = 256 << 10
    static let blocksInFlight = 4

    private let queue = DispatchQueue(label: "outpost.file-digest")
    private let room = DispatchSemaphore(value: BackgroundDigest.blocksInFlight)
    /// Only touched on `queue`.
    private var digest = SHA256()
    /// Only touched by the caller's thread.
    private var pending: [UInt8] = []

    /// Adds bytes the caller no longer changes (shared with the thread, not copied, when they
    /// make a block on their own).
    func update(_ bytes: ArraySlice<UInt8>) {
        guard pending.isEmpty, bytes.count >= Self.blockSize else {
            pending.append(contentsOf: bytes)
            if pending.count >= Self.blockSize { sendPending() }
            return
        }
        send(bytes)
    }

    /// ``update(_:)-(ArraySlice<UInt8>)`` for a whole array.
    func update(_ bytes: [UInt8]) {
        update(bytes[...])
    }

    /// The hash of everything added, once the thread has caught up.
    func finalize() -> SHA256.Digest {
        if !pending.isEmpty { sendPending() }
        return queue.sync { digest.finalize() }
    }

    private func sendPending() {
        let block = pending
        pending = []
        pending.reserveCapacity(Self.blockSize + (1 << 16))
        send(block[...])
    }

    private func send(_ block: ArraySlice<UInt8>) {
        room.wait()
        queue.async { [self] in
            digest.update(data: block)
            room.signal()
        }
    }
}
