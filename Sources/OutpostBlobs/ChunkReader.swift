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
        let descriptor: Int32
        if let open = packs[pack] {
            descriptor = open
        } else {
            descriptor = Glibc.open(store.path(ofPack: pack), O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno == ENOENT { return nil }
                throw ChunkStore.failure("open pack \(pack)")
            }
            packs[pack] = descriptor
        }
        var bytes = [UInt8](repeating: 0, count: location.length)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + done, raw.count - done, off_t(location.offset) + off_t(done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ChunkStore.failure("read pack \(pack)")
            }
            if count == 0 { return nil }
            done += count
        }
        return bytes
    }
}
