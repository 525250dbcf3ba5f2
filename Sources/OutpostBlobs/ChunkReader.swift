package import OutpostCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads chunks where ``ChunkLocation`` says they are, keeping each pack it opened open until it
/// goes (a file's get reads thousands of chunks from a few packs).
package final class ChunkReader {
    private let store: ChunkStore
    private var packs: [String: Int32] = [:]

    init(store: ChunkStore) {
        self.store = store
    }

    deinit {
        for descriptor in packs.values { close(descriptor) }
    }

    /// The stored bytes of `hash` at `location` (nil: a chunk in a file of its own); nil when
    /// they are not there (the pack or the file is gone, or shorter than the location says).
    package func read(_ hash: String, at location: ChunkLocation?) throws(OutpostError) -> [UInt8]? {
        guard let location, let pack = location.pack else { return try store.read(hash) }
        guard let descriptor = try descriptor(of: pack) else { return nil }
        var bytes = [UInt8](repeating: 0, count: location.length)
        var complete = false
        var failure: OutpostError?
        bytes.withUnsafeMutableBytes { raw in
            do throws(OutpostError) {
                complete = try read(raw, from: descriptor, at: location.offset, pack: pack)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return complete ? bytes : nil
    }

    /// Reads the plain chunk at `location`, which ``ChunkLocation/holdsPlainBytes``, straight into
    /// `destination` (its size): no copy through a frame. False when the bytes are not there.
    /// Nothing here checks them against the chunk's hash; a caller checks the whole file's.
    func readPlain(at location: ChunkLocation, into destination: UnsafeMutableRawBufferPointer)
        throws(OutpostError) -> Bool
    {
        guard let pack = location.pack, location.length - 1 == destination.count,
            let descriptor = try descriptor(of: pack)
        else { return false }
        return try read(destination, from: descriptor, at: location.offset + 1, pack: pack)
    }

    /// The open pack `name`; nil when it is gone.
    private func descriptor(of pack: String) throws(OutpostError) -> Int32? {
        if let open = packs[pack] { return open }
        let descriptor = Glibc.open(store.path(ofPack: pack), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw ChunkStore.failure("open pack \(pack)")
        }
        packs[pack] = descriptor
        return descriptor
    }

    /// Fills `destination` from `offset`; false when the pack ends first.
    private func read(
        _ destination: UnsafeMutableRawBufferPointer,
        from descriptor: Int32,
        at offset: Int64,
        pack: String
    )
        throws(OutpostError) -> Bool
    {
        var done = 0
        while done < destination.count {
            let count = pread(
                descriptor,
                destination.baseAddress! + done,
                destination.count - done,
                off_t(offset) + off_t(done)
            )
            if count < 0 {
                if errno == EINTR { continue }
                throw ChunkStore.failure("read pack \(pack)")
            }
            if count == 0 { return false }
            done += count
        }
        return true
    }
}
