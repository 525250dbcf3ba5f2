import Foundation
package import OutpostCore

#if canImport(Glibc)
    import Glibc
#endif

/// Appends chunks to one new pack file, `DIR/packs/NAME.pack`, for one put or one batch of
/// fetched chunks: one file for thousands of chunks, where a file per chunk cost 0.4–0.8 ms of
/// file creation each on this machine's ext4 (a 256 MiB put made 14,561 files).
///
/// A pack is written only by the writer that made it and never changes once its chunks are
/// recorded. ``flush()`` makes it durable before the `outpost_chunks` rows that point into it
/// commit, so a crash leaves at worst a pack no row points into, which collection removes.
package final class PackWriter {
    private let directory: String
    /// The pack's name, once the first chunk made it.
    private(set) var name: String?
    private var descriptor: Int32 = -1
    /// The pack's length, counting the appended bytes not yet written.
    private var size: Int64 = 0
    /// Appended bytes not yet written, which start at `size - pending.count`: chunks average
    /// 16 KiB, and writing each on its own cost a system call per chunk.
    private var pending: [UInt8] = []
    private var durable = true

    /// How much is gathered before each write.
    private static let writeBlockSize = 1 << 20

    init(directory: String) {
        self.directory = directory
    }

    deinit { close() }

    /// Appends `bytes` and says where they are; durable after ``flush()``.
    package func append(_ bytes: [UInt8]) throws(OutpostError) -> ChunkLocation {
        try gather(length: bytes.count) { $0.append(contentsOf: bytes) }
    }

    /// Appends a stored chunk made of the flags byte `flags` and `payload`, copied once into
    /// the gathered bytes; says where it is.
    func append(flags: UInt8, payload: UnsafeRawBufferPointer) throws(OutpostError) -> ChunkLocation {
        try gather(length: 1 + payload.count) { pending in
            pending.append(flags)
            pending.append(contentsOf: payload)
        }
    }

    /// Adds `length` bytes to the gathered ones with `add`, writing them out past a block.
    private func gather(length: Int, _ add: (inout [UInt8]) -> Void) throws(OutpostError) -> ChunkLocation {
        if descriptor < 0 { try create() }
        let location = ChunkLocation(pack: name, offset: size, length: length)
        add(&pending)
        size += Int64(length)
        durable = false
        if pending.count >= Self.writeBlockSize { try writePending() }
        return location
    }

    /// Writes the gathered bytes at their place in the pack.
    private func writePending() throws(OutpostError) {
        let start = size - Int64(pending.count)
        var written = 0
        while written < pending.count {
            let result = pending.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress! + written, raw.count - written, off_t(start) + off_t(written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw ChunkStore.failure("write to pack \(name ?? "")")
            }
            written += result
        }
        Writeback.begin(descriptor, offset: start, count: pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    /// Makes every chunk appended so far durable (and the pack's name in its folder, the first
    /// time): call it before committing rows that point into the pack.
    package func flush() throws(OutpostError) {
        guard descriptor >= 0, !durable else { return }
        try writePending()
        guard fdatasync(descriptor) == 0 else { throw ChunkStore.failure("flush pack \(name ?? "") to disk") }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw ChunkStore.failure("open \(directory)") }
        defer { Glibc.close(folder) }
        guard fsync(folder) == 0 else { throw ChunkStore.failure("flush \(directory) to disk") }
        durable = true
    }

    /// Closes the pack and removes it: for a put or fetch that failed before any row pointed
    /// into it.
    package func discard() {
        close()
        if let name { unlink("\(directory)/\(name).pack") }
    }

    /// Closes the pack; nothing more is appended to it.
    package func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    private func create() throws(OutpostError) {
        var ids = UUIDv7()
        let name = ids.next()
        let path = "\(directory)/\(name).pack"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ChunkStore.failure("create \(path)") }
        self.descriptor = descriptor
        self.name = name
    }
}
