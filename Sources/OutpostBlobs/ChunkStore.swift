package import Foundation
package import OutpostCore

#if canImport(Glibc)
    import Glibc
#endif

/// The chunks on the node's disk: appended to pack files, `DIR/packs/NAME.pack` (a
/// ``PackWriter`` per put or fetched batch; where each chunk is, `outpost_chunks` says), and,
/// written by versions before packs, one file per hash: `DIR/chunks/ab/abcdef…`, still read and
/// collected. Reads are checked by the caller against the hash (``ChunkCodec``), so a chunk
/// damaged on disk is never returned as data.
package struct ChunkStore: Sendable {
    package let directory: String
    /// Whether `DIR/chunks` held any chunk files when opened: only a store written by a version
    /// before packs has them, and without them no put needs a file lookup per chunk.
    private let keepsLooseChunks: Bool

    package init(directory: String) throws(OutpostError) {
        self.directory = directory
        keepsLooseChunks = !((try? FileManager.default.contentsOfDirectory(atPath: directory + "/chunks")) ?? [])
            .isEmpty
        for folder in [directory + "/chunks", directory + "/tmp", directory + "/packs"] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw OutpostError(
                    .storage,
                    "Cannot create \(folder): \(Self.reason(error)). Check the home's permissions."
                )
            }
        }
    }

    package func path(of hash: String) -> String {
        "\(directory)/chunks/\(hash.prefix(2))/\(hash)"
    }

    /// The pack file `name`.
    package func path(ofPack name: String) -> String {
        "\(directory)/packs/\(name).pack"
    }

    /// A writer of a new pack, for one put or one batch of fetched chunks.
    package func packWriter() -> PackWriter {
        PackWriter(directory: directory + "/packs")
    }

    /// A reader of chunks wherever they are, keeping each pack it reads open until it goes.
    package func reader() -> ChunkReader {
        ChunkReader(store: self)
    }

    /// The pack files here: name, size in bytes and last change.
    package func packs() -> [(name: String, size: Int64, modified: Date)] {
        let folder = directory + "/packs"
        var found: [(name: String, size: Int64, modified: Date)] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasSuffix(".pack")
        {
            var status = stat()
            guard stat("\(folder)/\(entry)", &status) == 0 else { continue }
            found.append(
                (
                    String(entry.dropLast(5)), Int64(status.st_size),
                    Date(timeIntervalSince1970: Double(status.st_mtim.tv_sec))
                )
            )
        }
        return found
    }

    /// Removes the pack `name`: no row points into it any more.
    package func removePack(_ name: String) {
        unlink(path(ofPack: name))
    }

    /// Whether `hash` is kept in a file of its own (a chunk written before packs).
    package func contains(_ hash: String) -> Bool {
        keepsLooseChunks && access(path(of: hash), F_OK) == 0
    }

    /// The stored bytes of `hash`, or nil when there is no such chunk.
    package func read(_ hash: String) throws(OutpostError) -> [UInt8]? {
        let descriptor = open(path(of: hash), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("open chunk \(hash.prefix(12))…")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read chunk \(hash.prefix(12))…")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[..<count])
        }
    }

    /// Removes the chunk `hash`; removing one that is not there is not an error.
    package func remove(_ hash: String) {
        unlink(path(of: hash))
    }

    /// Moves the chunk `hash` to `DIR/quarantine`, out of use but kept: for a sealed chunk that
    /// does not open, which only a person can tell apart from one sealed with a lost key. A
    /// chunk in a pack is copied there (its row goes; the pack's copy becomes dead space).
    package func quarantine(_ hash: String, at location: ChunkLocation?) throws(OutpostError) {
        let folder = directory + "/quarantine"
        if access(folder, F_OK) != 0, mkdir(folder, 0o700) != 0, errno != EEXIST {
            throw failure("create \(folder)")
        }
        guard let location, location.pack != nil else {
            guard rename(path(of: hash), "\(folder)/\(hash)") == 0 || errno == ENOENT else {
                throw failure("move chunk \(hash.prefix(12))… to \(folder)")
            }
            return
        }
        guard let bytes = try reader().read(hash, at: location) else { return }
        guard FileManager.default.createFile(atPath: "\(folder)/\(hash)", contents: Data(bytes)) else {
            throw failure("copy chunk \(hash.prefix(12))… to \(folder)")
        }
    }

    /// A held `flock` on `DIR/chunks.lock`, released by ``release()`` (or when the process ends).
    package struct UseLock {
        let descriptor: Int32

        /// Lets go of the lock.
        package func release() {
            close(descriptor)
        }
    }

    /// Takes the lock that keeps garbage collection away from chunks in use: a put holds it
    /// shared from its first chunk until its index row commits (a chunk it reuses is referenced
    /// by nothing until then), and collection holds it exclusively from reading the index until
    /// its last unlink. It works across processes (`files put` beside `outpost run`'s gc).
    package func lockUse(exclusive: Bool) throws(OutpostError) -> UseLock {
        let descriptor = open(directory + "/chunks.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("open \(directory)/chunks.lock") }
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else {
                let error = failure("lock \(directory)/chunks.lock")
                close(descriptor)
                throw error
            }
        }
        return UseLock(descriptor: descriptor)
    }

    /// Removes temporary files a crash of a version before packs left behind.
    package func removeLeftovers() {
        let folder = directory + "/tmp"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            unlink(folder + "/" + name)
        }
    }

    private func failure(_ action: String) -> OutpostError { Self.failure(action) }

    /// The error for `action` failing with the current `errno`.
    static func failure(_ action: String) -> OutpostError {
        let code = errno
        let reason = String(cString: strerror(code))
        let hint = code == ENOSPC ? " The disk is full." : " Check the home's disk."
        return OutpostError(
            .storage,
            "Cannot \(action): \(reason).\(hint)",
            details: ["errno": "\(code)"],
            remedy: code == ENOSPC ? .freeDiskSpace : nil
        )
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
