import OutpostCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file (or bytes in memory) in large blocks and keeps at least `keep` unread bytes in
/// view, so the chunker always sees a whole maximum-size chunk, whatever the block boundaries.
///
/// Bytes are handed out with ``take(_:)`` as slices that share the reader's buffer: each
/// ``fill()`` starts a new buffer (copying over only the bytes not taken yet), so the threads
/// that hash a taken window read it while the reader goes on, and no byte is copied for them.
struct BlockReader {
    private var buffer: [UInt8]
    private var start = 0
    private let descriptor: Int32?
    private let blockSize: Int
    private let keep: Int
    private var atEnd: Bool

    init(descriptor: Int32, blockSize: Int, keep: Int) {
        self.descriptor = descriptor
        self.blockSize = blockSize
        self.keep = keep
        buffer = []
        atEnd = false
    }

    init(bytes: [UInt8]) {
        descriptor = nil
        blockSize = 0
        keep = 0
        buffer = bytes
        atEnd = true
    }

    /// Whether the whole file is read (or the bytes were all given at once).
    var isAtEnd: Bool { atEnd }

    /// Bytes read and not yet taken.
    var available: Int { buffer.count - start }

    /// Reads until at least `keep` bytes are in view or the file ends: into a new buffer that
    /// starts with the bytes not taken yet and holds up to a block more.
    mutating func fill() throws(OutpostError) {
        guard let descriptor, !atEnd, available < keep else { return }
        let rest = buffer[start...]
        let capacity = rest.count + max(blockSize, keep)
        var failure: OutpostError?
        var ended = false
        let fresh = [UInt8](unsafeUninitializedCapacity: capacity) { target, count in
            let raw = UnsafeMutableRawBufferPointer(target)
            rest.withUnsafeBytes { raw.copyMemory(from: $0) }
            count = rest.count
            while count < capacity {
                let read = Glibc.read(descriptor, raw.baseAddress! + count, capacity - count)
                if read < 0 {
                    if errno == EINTR { continue }
                    failure = OutpostError(.storage, "Cannot read the file: \(String(cString: strerror(errno))).")
                    return
                }
                if read == 0 {
                    ended = true
                    return
                }
                count += read
            }
        }
        if let failure { throw failure }
        buffer = fresh
        start = 0
        atEnd = ended
    }

    /// Calls `body` with the bytes in view.
    func withAvailable<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// The next `count` bytes in view, taken: a slice sharing the buffer, never written again.
    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        defer { start += count }
        return buffer[start..<start + count]
    }
}
