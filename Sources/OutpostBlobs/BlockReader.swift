import OutpostCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file (or bytes in memory) in large blocks and keeps at least `keep` unread bytes in
/// view, so the chunker always sees a whole maximum-size chunk, whatever the block boundaries.
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
        buffer.reserveCapacity(blockSize + keep)
        atEnd = false
    }

    init(bytes: [UInt8]) {
        descriptor = nil
        blockSize = 0
        keep = 0
        buffer = bytes
        atEnd = true
    }

    /// Bytes read and not yet consumed.
    var available: Int { buffer.count - start }

    /// Reads until at least `keep` bytes are in view or the file ends.
    mutating func fill() throws(OutpostError) {
        guard let descriptor, !atEnd, available < keep else { return }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        while !atEnd, available < keep {
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: blockSize))
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + old, blockSize) }
            if count < 0 {
                buffer.removeLast(blockSize)
                if errno == EINTR { continue }
                throw OutpostError(.storage, "Cannot read the file: \(String(cString: strerror(errno))).")
            }
            buffer.removeLast(blockSize - count)
            if count == 0 { atEnd = true }
        }
    }

    /// Calls `body` with the bytes in view.
    func withAvailable<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    mutating func consume(_ count: Int) {
        start += count
    }
}
