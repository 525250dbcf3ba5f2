public import Crypto
import Foundation
package import GRDB
public import OutpostCore
package import OutpostProtocol
public import OutpostStore

#if canImport(Glibc)
    import Glibc
#endif

/// The node's files: content-addressed, deduplicated chunks on disk under `HOME/files`, and an
/// index row per file in the store's `files` table, which syncs like any other row.
///
/// ```swift
/// let files = try FileStore(store: store, home: home)
/// try files.put(contentsOf: "/tmp/model.onnx", as: "models/vision.onnx", priority: 8)
/// try files.get("models/vision.onnx", to: "/tmp/copy.onnx")
/// ```
///
/// A put reads the file in 1 MiB blocks, cuts it into content-defined chunks, writes each new
/// chunk once (compressed when that saves 10%, encrypted when the node has a key), then records
/// the file in one transaction: memory stays bounded whatever the file's size, and a failed put
/// leaves the index as it was.
public final class FileStore: Sendable {
    public let store: Store
    /// `HOME/files`.
    public let directory: String
    public let configuration: FileStoreConfiguration
    package let chunks: ChunkStore
    let key: SymmetricKey?
    let chunker: ContentDefinedChunker

    /// Opens the file store of the node at `home`, with its key when `HOME/files.key` exists.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` for an average chunk size that is not a power of
    ///   two from 256 B to 4 MiB; `.storage` when the folders cannot be made or the key is damaged;
    ///   `.failedPrecondition` when the key is not the one this node's chunks are sealed with.
    public convenience init(
        store: Store,
        home: String,
        configuration: FileStoreConfiguration = FileStoreConfiguration()
    ) throws(OutpostError) {
        try self.init(
            store: store,
            directory: home + "/files",
            configuration: configuration,
            key: FileStoreKey.load(home: home)
        )
    }

    public init(
        store: Store,
        directory: String,
        configuration: FileStoreConfiguration = FileStoreConfiguration(),
        key: SymmetricKey?
    ) throws(OutpostError) {
        guard ContentDefinedChunker.isValidAverageSize(configuration.averageChunkSize) else {
            throw OutpostError(
                .invalidInput,
                "Average chunk size \(configuration.averageChunkSize) is not a power of two from 256 B to 128 KiB."
            )
        }
        self.store = store
        self.directory = directory
        self.configuration = configuration
        self.key = key
        chunker = ContentDefinedChunker(averageSize: configuration.averageChunkSize)
        chunks = try ChunkStore(directory: directory)
        if let key { try requireSealingKey(key) }
    }

    /// Whether new chunks are encrypted at rest.
    public var encryptsAtRest: Bool { key != nil }

    // MARK: Put

    /// Stores the file at `path` as `name`, replacing what `name` held (and taking it out of the
    /// trash). Putting the same content again changes nothing.
    ///
    /// - Parameter priority: 1 (background) … 10 (critical), the priority it syncs with.
    /// - Throws: ``OutpostError`` `.invalidInput` for a refused name, a priority out of range or a
    ///   file over ``FileStoreConfiguration/maximumFileSize``; `.notFound` when `path` cannot be
    ///   opened; `.storage` when the disk fails.
    @discardableResult
    public func put(contentsOf path: String, as name: String, priority: Int = 5) throws(OutpostError) -> StoredFile {
        try Self.checkPriority(priority)
        try FileName.validate(name)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw OutpostError(
                .notFound,
                "Cannot open \(path): \(String(cString: strerror(errno))).",
                details: ["path": path]
            )
        }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG, (status.st_mode & S_IFMT) != S_IFIFO {
            throw OutpostError(.invalidInput, "\(path) is not a regular file.", details: ["path": path])
        }
        if fstat(descriptor, &status) == 0, Int(status.st_size) > configuration.maximumFileSize {
            throw tooLarge(path, size: Int(status.st_size))
        }
        var reader = BlockReader(descriptor: descriptor, blockSize: 1 << 20, keep: chunker.maximumSize)
        return try put(from: &reader, source: path, as: name, priority: priority)
    }

    /// Stores `bytes` as `name` (see ``put(contentsOf:as:priority:)``).
    @discardableResult
    public func put(_ bytes: [UInt8], as name: String, priority: Int = 5) throws(OutpostError) -> StoredFile {
        try Self.checkPriority(priority)
        try FileName.validate(name)
        guard bytes.count <= configuration.maximumFileSize else { throw tooLarge(name, size: bytes.count) }
        var reader = BlockReader(bytes: bytes)
        return try put(from: &reader, source: name, as: name, priority: priority)
    }

    private func put(from reader: inout BlockReader, source: String, as name: String, priority: Int)
        throws(OutpostError) -> StoredFile
    {
        let lock = try chunks.lockUse(exclusive: false)
        defer { lock.release() }
        let pack = chunks.packWriter()
        var recorded = false
        defer { recorded ? pack.close() : pack.discard() }
        let whole = BackgroundDigest()
        var entries: [FileManifest.Entry] = []
        var written = ChunkTally()
        var total = 0
        var manifestHashes: [String] = []
        // One read snapshot for the whole put: whether each chunk is kept already is a lookup in it.
        try store.read { db in
            /// Stores the window's chunks this node does not keep yet, and lists them all.
            func keepWindow(_ window: ArraySlice<UInt8>, lengths: [Int], chunks: [BackgroundChunkHashes.Chunk]) throws {
                let packed = try Self.packedHashes(chunks.map(\.hash), in: db)
                try window.withUnsafeBytes { bytes in
                    var offset = 0
                    for (length, found) in zip(lengths, chunks) {
                        let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
                        if !isKept(found.hash, packed: packed, tally: &written) {
                            try keep(
                                plain: chunk,
                                hash: found.hash,
                                mayCompress: found.mayCompress,
                                in: pack,
                                tally: &written
                            )
                        }
                        entries.append(FileManifest.Entry(hash: found.hash, length: length))
                        offset += length
                    }
                }
            }
            // The put runs as a pipeline over windows of whole chunks: this thread cuts window
            // N + 1 while one thread hashes its chunks and another the whole file, then stores
            // window N, whose chunk hashes are ready by then.
            var previous: (window: ArraySlice<UInt8>, lengths: [Int], hashes: BackgroundChunkHashes)?
            while true {
                try reader.fill()
                guard reader.available > 0 else { break }
                let lengths = cutWindow(of: reader)
                let window = reader.take(lengths.reduce(0, +))
                total += window.count
                guard total <= configuration.maximumFileSize else { throw tooLarge(source, size: total) }
                whole.update(window)
                let hashes = BackgroundChunkHashes(of: window, lengths: lengths)
                if let previous {
                    try keepWindow(previous.window, lengths: previous.lengths, chunks: previous.hashes.wait())
                }
                previous = (window, lengths, hashes)
            }
            if let previous {
                try keepWindow(previous.window, lengths: previous.lengths, chunks: previous.hashes.wait())
            }

            for part in FileManifest(entries: entries).chunks() {
                let hash = ChunkHash.of(part)
                if try !isKept(hash, packed: Self.packedHashes([hash], in: db), tally: &written) {
                    let frame = part.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: hash) }
                    try keep(frame, size: part.count, in: pack, tally: &written)
                }
                manifestHashes.append(hash)
            }
        }
        if !written.new.isEmpty { try pack.flush() }
        let hash = Hex.encode(whole.finalize())
        let chunkList = JSONValue.array(manifestHashes.map { .string($0) }).encoded()
        let now = Int64(WallClock.milliseconds())
        let encrypted = key != nil
        let fresh = written
        let stored = try store.write { db in
            try Self.recordChunks(fresh.new, at: now, in: db)
            var compressed = fresh.compressed
            for hash in fresh.existing where !compressed {
                let statement = try db.cachedStatement(sql: "SELECT flags FROM outpost_chunks WHERE hash = ?")
                let flags = try Int.fetchOne(statement, arguments: [hash])
                compressed = (flags ?? 0) & Int(ChunkFrame.compressedFlag) != 0
            }
            if let existing = try Self.file(named: name, in: db), existing.hash == hash, existing.trashedAt == nil,
                existing.priority == priority, existing.content == "local",
                try String.fetchOne(db, sql: "SELECT chunks FROM files WHERE name = ?", arguments: [name]) == chunkList
            {
                return existing
            }
            try db.execute(
                sql: """
                    INSERT INTO files (name, size, hash, chunks, modified, priority, trashed_at, sync_status,
                                       compressed, encrypted, content)
                    VALUES (?, ?, ?, ?, ?, ?, NULL, 'pending', ?, ?, 'local')
                    ON CONFLICT (name) DO UPDATE SET
                        size = excluded.size, hash = excluded.hash, chunks = excluded.chunks,
                        modified = excluded.modified, priority = excluded.priority, trashed_at = NULL,
                        sync_status = 'pending', compressed = excluded.compressed,
                        encrypted = excluded.encrypted, content = 'local'
                    """,
                arguments: [name, total, hash, chunkList, now, priority, compressed, encrypted]
            )
            return try Self.file(named: name, in: db)!
        }
        recorded = true
        return stored
    }

    /// Whether the chunk `hash` is kept already: written earlier in this put, in `packed` (those
    /// of its window recorded in a pack), or in a file of its own (kept before packs). Counts it
    /// as reused when it is.
    private func isKept(_ hash: String, packed: Set<String>, tally: inout ChunkTally) -> Bool {
        let kept = tally.newHashes.contains(hash) || packed.contains(hash) || chunks.contains(hash)
        if kept { tally.existing.append(hash) }
        return kept
    }

    /// Which of `hashes` `outpost_chunks` records in a pack: one statement for a window's chunks.
    private static func packedHashes(_ hashes: [String], in db: Database) throws -> Set<String> {
        var packed = Set<String>()
        for part in SQLList.parts(hashes) {
            let statement = try db.cachedStatement(
                sql:
                    "SELECT hash FROM outpost_chunks WHERE pack IS NOT NULL AND hash IN (\(SQLList.placeholders(part.count)))"
            )
            packed.formUnion(try String.fetchAll(statement, arguments: StatementArguments(part)))
        }
        return packed
    }

    /// Records the chunks a put wrote into its pack, a hundred rows a statement. A copy in a pack
    /// replaces a row whose chunk was kept before packs (and whose file was gone, or it would have
    /// been found kept).
    private static func recordChunks(_ written: [ChunkTally.Written], at now: Int64, in db: Database) throws {
        for part in SQLList.parts(written) {
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO outpost_chunks (hash, size, stored_size, flags, on_hub, created_at, pack, pack_offset)
                    VALUES \(repeatElement("(?, ?, ?, ?, 0, ?, ?, ?)", count: part.count).joined(separator: ", "))
                    ON CONFLICT (hash) DO UPDATE SET stored_size = excluded.stored_size, flags = excluded.flags,
                        pack = excluded.pack, pack_offset = excluded.pack_offset
                    WHERE outpost_chunks.pack IS NULL
                    """
            )
            var arguments: [(any DatabaseValueConvertible)?] = []
            arguments.reserveCapacity(part.count * 7)
            for chunk in part {
                arguments += [
                    chunk.hash, chunk.size, chunk.storedSize, chunk.flags, now, chunk.location.pack,
                    chunk.location.offset,
                ]
            }
            try statement.execute(arguments: StatementArguments(arguments))
        }
    }

    /// The most bytes of whole chunks a put cuts at a time (see ``cutWindow(of:)``).
    private static let windowSize = 1 << 20

    /// The lengths of the next chunks in view of `reader`, at most about ``windowSize`` bytes of
    /// them. A cut is made only with a whole maximum-size chunk in view, or at the end of the
    /// file.
    private func cutWindow(of reader: BlockReader) -> [Int] {
        let atEnd = reader.isAtEnd
        return reader.withAvailable { bytes in
            var lengths: [Int] = []
            var offset = 0
            while offset < bytes.count, offset < Self.windowSize, atEnd || bytes.count - offset >= chunker.maximumSize {
                let length = chunker.cut(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                lengths.append(length)
                offset += length
            }
            return lengths
        }
    }

    /// Appends the chunk `plain` to the put's pack as it is stored here: deflated when that
    /// pays, sealed when the node encrypts. A chunk kept as it is, unsealed (random bytes, most
    /// media), is copied once, into the pack's gathered bytes.
    private func keep(
        plain: UnsafeRawBufferPointer,
        hash: String,
        mayCompress: Bool,
        in pack: PackWriter,
        tally: inout ChunkTally
    ) throws(OutpostError) {
        let deflated = mayCompress ? ChunkFrame.deflate(plain) : nil
        guard key != nil || deflated != nil else {
            let location = try pack.append(flags: 0, payload: plain)
            tally.newHashes.insert(hash)
            tally.new.append(
                ChunkTally.Written(
                    hash: hash,
                    size: plain.count,
                    storedSize: location.length,
                    flags: 0,
                    location: location
                )
            )
            return
        }
        let frame =
            deflated.map { ChunkFrame(hash: hash, flags: ChunkFrame.compressedFlag, payload: $0) }
            ?? ChunkFrame(hash: hash, flags: 0, payload: Array(plain))
        try keep(frame, size: plain.count, in: pack, tally: &tally)
    }

    /// Appends `frame`, as stored here (compressed, sealed), to the put's pack.
    private func keep(_ frame: ChunkFrame, size: Int, in pack: PackWriter, tally: inout ChunkTally)
        throws(OutpostError)
    {
        let stored = try ChunkCodec.stored(frame, key: key)
        let location = try pack.append(stored)
        tally.compressed = tally.compressed || frame.flags & ChunkFrame.compressedFlag != 0
        tally.newHashes.insert(frame.hash)
        tally.new.append(
            ChunkTally.Written(
                hash: frame.hash,
                size: size,
                storedSize: stored.count,
                flags: Int(stored[0]),
                location: location
            )
        )
    }

    // MARK: Get

    /// Writes the content of `name` to `path` (`-` for standard output), atomically: a temporary
    /// file beside it, flushed, then renamed.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown name; `.failedPrecondition` when it
    ///   is in the trash or its content is not fetched yet; `.storage` for a corrupt chunk (which
    ///   is removed, so the next `outpost sync` fetches it again) or a disk failure.
    @discardableResult
    public func get(_ name: String, to path: String) throws(OutpostError) -> StoredFile {
        let lock = try chunks.lockUse(exclusive: false)
        defer { lock.release() }
        let file = try requireReadable(name)
        defer { touch(name) }
        if path == "-" {
            // What reaches standard output cannot be taken back: every chunk is checked first.
            try forEachBlock(of: file, checkingEachChunk: true) { bytes throws(OutpostError) in
                FileHandle.standardOutput.write(Data(bytes))
            }
            return file
        }
        let temporary = path + ".outpost-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutpostError(.storage, "Cannot create \(temporary): \(String(cString: strerror(errno))).")
        }
        do {
            var written: Int64 = 0
            try forEachBlock(of: file) { block throws(OutpostError) in
                try Self.writeAll(block, to: descriptor, path: temporary)
                Writeback.begin(descriptor, offset: written, count: block.count)
                written += Int64(block.count)
            }
            guard fsync(descriptor) == 0 else {
                throw OutpostError(.storage, "Cannot flush \(temporary): \(String(cString: strerror(errno))).")
            }
            close(descriptor)
            guard rename(temporary, path) == 0 else {
                throw OutpostError(.storage, "Cannot rename into \(path): \(String(cString: strerror(errno))).")
            }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error as? OutpostError ?? OutpostError(.storage, "\(error)")
        }
        return file
    }

    /// The content of `name`, whole (for small files and tests; ``get(_:to:)`` streams).
    public func contents(of name: String) throws(OutpostError) -> [UInt8] {
        let lock = try chunks.lockUse(exclusive: false)
        defer { lock.release() }
        let file = try requireReadable(name)
        defer { touch(name) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(file.size)
        try forEachBlock(of: file) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// How much content ``forEachBlock(of:checkingEachChunk:_:)`` hands over at a time: chunks
    /// average 16 KiB, and a system call (or a hand-over to the hashing thread) each cost more
    /// than the bytes.
    private static let blockSize = 1 << 20

    /// Calls `body` with the content of `file` in order, a block of whole chunks (about
    /// ``blockSize``) at a time, checking the whole against the file's hash.
    ///
    /// With `checkingEachChunk` false (for callers that use the bytes only once the whole file
    /// checked out: a get into a temporary file, ``contents(of:)``), chunks are not hashed one by
    /// one: the file's hash covers them all, one SHA-256 pass instead of two, and a chunk kept
    /// plain in a pack is read straight into its block. When the hash does not match, every
    /// chunk is checked to find the damaged ones (removed and marked for fetching again) before
    /// the error.
    private func forEachBlock(
        of file: StoredFile,
        checkingEachChunk: Bool = false,
        _ body: ([UInt8]) throws(OutpostError) -> Void
    ) throws(OutpostError) {
        do {
            try readBlocks(of: file, checkingEachChunk: checkingEachChunk, body)
        } catch  where !checkingEachChunk && error.details["whole_file_hash"] == "mismatch" {
            try readBlocks(of: file, checkingEachChunk: true) { _ throws(OutpostError) in }
            throw error
        }
    }

    private func readBlocks(
        of file: StoredFile,
        checkingEachChunk: Bool,
        _ body: ([UInt8]) throws(OutpostError) -> Void
    ) throws(OutpostError) {
        let entries = try manifest(of: file.name, quarantiningOnFailure: true).entries
        // Lengths size the blocks read into: a list naming a chunk larger than any chunk can be
        // (a damaged one, or one a peer made up) is refused before anything is allocated for it.
        guard entries.allSatisfy({ $0.length <= FileStoreConfiguration.maximumChunkBytes }) else {
            throw wholeFileMismatch(file.name)
        }
        let whole = BackgroundDigest()
        let reader = chunks.reader()
        var start = 0
        while start < entries.count {
            // Where the chunks are, looked up a thousand at a time: one read for many blocks, and
            // memory that stays flat however large the file.
            let batch = entries[start..<min(start + 1_024, entries.count)]
            let locations = try store.read { db in try batch.map { try ChunkLocation.lookup($0.hash, in: db) } }
            var first = batch.startIndex
            while first < batch.endIndex {
                var end = first
                var size = 0
                while end < batch.endIndex, end == first || size + entries[end].length <= Self.blockSize {
                    size += entries[end].length
                    end += 1
                }
                let block = try readBlock(
                    entries[first..<end],
                    at: locations[(first - start)..<(end - start)],
                    size: size,
                    of: file.name,
                    reader: reader,
                    checking: checkingEachChunk
                )
                whole.update(block)
                try body(block)
                first = end
            }
            start = batch.endIndex
        }
        guard Hex.encode(whole.finalize()) == file.hash else { throw wholeFileMismatch(file.name) }
    }

    /// The plain bytes of `entries` (`size` of them in all), read into one block.
    private func readBlock(
        _ entries: ArraySlice<FileManifest.Entry>,
        at locations: ArraySlice<ChunkLocation?>,
        size: Int,
        of name: String,
        reader: ChunkReader,
        checking: Bool
    ) throws(OutpostError) -> [UInt8] {
        var failure: OutpostError?
        let block = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var offset = 0
            for (entry, location) in zip(entries, locations) {
                let target = UnsafeMutableRawBufferPointer(
                    UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + entry.length])
                )
                do throws(OutpostError) {
                    try readChunk(entry.hash, of: name, at: location, into: target, reader: reader, checking: checking)
                } catch {
                    failure = error
                    break
                }
                offset += entry.length
            }
            // Bytes written so far are set; on a failure the block is thrown away.
            count = failure == nil ? size : 0
        }
        if let failure { throw failure }
        return block
    }

    /// Puts the plain bytes of chunk `hash` into `target`, sized as the file's chunk list says:
    /// straight from its pack when it is kept plain and `checking` is off, else through
    /// ``plainChunk(_:of:at:reader:checking:)``.
    private func readChunk(
        _ hash: String,
        of name: String,
        at location: ChunkLocation?,
        into target: UnsafeMutableRawBufferPointer,
        reader: ChunkReader,
        checking: Bool
    ) throws(OutpostError) {
        if !checking, let location, location.holdsPlainBytes, try reader.readPlain(at: location, into: target) {
            return
        }
        let bytes = try plainChunk(hash, of: name, at: location, reader: reader, checking: checking)
        // A chunk whose bytes match its hash but not the length its file lists: the list is
        // what is damaged.
        guard bytes.count == target.count else { throw wholeFileMismatch(name) }
        bytes.withUnsafeBytes { target.copyMemory(from: $0) }
    }

    private func wholeFileMismatch(_ name: String) -> OutpostError {
        OutpostError(
            .storage,
            "The content of '\(name)' does not match its hash; its index is damaged.",
            details: ["name": name, "whole_file_hash": "mismatch"]
        )
    }

    /// The file's chunk list, read from its manifest chunks.
    package func manifest(of name: String, quarantiningOnFailure: Bool = false) throws(OutpostError) -> FileManifest {
        let hashes = try manifestHashes(of: name)
        var bytes: [UInt8] = []
        for hash in hashes {
            bytes +=
                quarantiningOnFailure ? try plainChunk(hash, of: name, at: location(of: hash)) : try plainChunk(hash)
        }
        return try FileManifest(decoding: bytes)
    }

    package func manifestHashes(of name: String) throws(OutpostError) -> [String] {
        let text = try store.read { db in
            try String.fetchOne(db, sql: "SELECT chunks FROM files WHERE name = ?", arguments: [name])
        }
        guard let text else { throw notFound(name) }
        return Self.hashes(inChunkList: text)
    }

    /// The hashes a `files.chunks` value lists.
    package static func hashes(inChunkList text: String) -> [String] {
        ManifestFormat.manifestHashes(inChunkList: text)
    }

    /// A chunk's plain bytes, verified. A chunk that is gone or damaged is removed (a sealed one
    /// that does not open is moved to the quarantine instead), the file is marked as missing
    /// content (so the next sync fetches it again), and the error says so.
    private func plainChunk(
        _ hash: String,
        of name: String,
        at location: ChunkLocation?,
        reader: ChunkReader? = nil,
        checking: Bool = true
    ) throws(OutpostError) -> [UInt8] {
        do {
            return try frame(of: hash, at: location, reader: reader ?? chunks.reader())
                .plainBytes(maximumSize: FileStoreConfiguration.maximumChunkBytes, checkingHash: checking)
        } catch  where error.code == .storage || error.code == .notFound {
            if error.details["reason"] == ChunkCodec.sealedChunkDoesNotOpen {
                try chunks.quarantine(hash, at: location)
            } else if location?.pack == nil {
                chunks.remove(hash)
            }
            try? store.write { db in
                try db.execute(sql: "DELETE FROM outpost_chunks WHERE hash = ?", arguments: [hash])
                try db.execute(sql: "UPDATE files SET content = 'missing' WHERE name = ?", arguments: [name])
            }
            throw OutpostError(
                .storage,
                "'\(name)' cannot be read: \(error.message) It is marked for fetching again.",
                details: ["name": name, "chunk": hash],
                remedy: .syncWithHub
            )
        }
    }

    package func plainChunk(_ hash: String) throws(OutpostError) -> [UInt8] {
        try frame(of: hash).plainBytes(maximumSize: FileStoreConfiguration.maximumChunkBytes)
    }

    /// The chunk's wire form (decrypted, still compressed if it was).
    package func frame(of hash: String) throws(OutpostError) -> ChunkFrame {
        try frame(of: hash, at: location(of: hash), reader: chunks.reader())
    }

    /// Where `outpost_chunks` says the chunk is (nil: no row, or a file of its own).
    private func location(of hash: String) throws(OutpostError) -> ChunkLocation? {
        try store.read { db in try ChunkLocation.lookup(hash, in: db) }
    }

    private func frame(of hash: String, at location: ChunkLocation?, reader: ChunkReader) throws(OutpostError)
        -> ChunkFrame
    {
        var stored = try reader.read(hash, at: location)
        if stored == nil, location?.pack != nil {
            // Compaction in another process may have moved it since its place was looked up.
            let now = try self.location(of: hash)
            if now != location { stored = try reader.read(hash, at: now) }
        }
        guard let stored else {
            throw OutpostError(.notFound, "Chunk \(hash.prefix(12))… is not on this node.", details: ["chunk": hash])
        }
        return try ChunkCodec.frame(ofStored: stored, hash: hash, key: key)
    }

    private func requireReadable(_ name: String) throws(OutpostError) -> StoredFile {
        guard let file = try file(named: name) else { throw notFound(name) }
        if file.trashedAt != nil {
            throw OutpostError(.failedPrecondition, "'\(name)' is in the trash.", remedy: .restoreFile(name: name))
        }
        if file.content == FileContent.remote {
            throw OutpostError(
                .failedPrecondition,
                "The content of '\(name)' is kept on the hub only (evicted by the cache budget, or not fetched here).",
                details: ["name": name],
                remedy: .fetchFile(name: name)
            )
        }
        if file.content != "local" {
            throw OutpostError(
                .failedPrecondition,
                "The content of '\(name)' is not on this node yet.",
                remedy: .syncWithHub
            )
        }
        return file
    }

    // MARK: Index

    /// The file called `name`, or nil.
    public func file(named name: String) throws(OutpostError) -> StoredFile? {
        try store.read { db in try Self.file(named: name, in: db) }
    }

    /// Every file, by name; trashed ones only when asked.
    public func list(includingTrash: Bool = false) throws(OutpostError) -> [StoredFile] {
        try store.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM files \(includingTrash ? "" : "WHERE trashed_at IS NULL") ORDER BY name"
            ).map { try Self.storedFile($0, in: db) }
        }
    }

    /// The seed's `get_pending_sync_files`: files not yet confirmed by the hub, highest priority
    /// first, then the most recently modified.
    public func pendingSync(limit: Int = 100) throws(OutpostError) -> [StoredFile] {
        try store.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM files WHERE sync_status = 'pending' ORDER BY priority DESC, modified DESC LIMIT ?",
                arguments: [limit]
            ).map { try Self.storedFile($0, in: db) }
        }
    }

    package static func file(named name: String, in db: Database) throws -> StoredFile? {
        try Row.fetchOne(db, sql: "SELECT * FROM files WHERE name = ?", arguments: [name]).map {
            try storedFile($0, in: db)
        }
    }

    /// A file as read: its `sync_status` as the outbox says it is.
    static func storedFile(_ row: Row, in db: Database) throws -> StoredFile {
        StoredFile(
            name: row["name"],
            size: row["size"],
            hash: row["hash"],
            modified: row["modified"],
            priority: row["priority"],
            trashedAt: row["trashed_at"],
            syncStatus: try Outbox(db).syncStatus(table: "files", key: row["name"], stored: row["sync_status"])
                ?? "pending",
            compressed: row["compressed"],
            encrypted: row["encrypted"],
            content: row["content"],
            pinned: row["pinned"] ?? false,
            lastUsed: row["last_used"]
        )
    }

    // MARK: Helpers

    static func checkPriority(_ priority: Int) throws(OutpostError) {
        guard (1...10).contains(priority) else {
            throw OutpostError(
                .invalidInput,
                "Priority \(priority) is out of range; use 1 (background) to 10 (critical)."
            )
        }
    }

    func notFound(_ name: String) -> OutpostError {
        OutpostError(
            .notFound,
            "No file named '\(FileName.printable(name))'.",
            details: ["name": FileName.printable(name)],
            remedy: .list(.files)
        )
    }

    private func tooLarge(_ what: String, size: Int) -> OutpostError {
        OutpostError(
            .invalidInput,
            "\(what) is \(size) bytes, over the limit of \(configuration.maximumFileSize) bytes. "
                + "Raise it with --max-size if the node should keep files this large.",
            details: ["size": "\(size)", "limit": "\(configuration.maximumFileSize)"]
        )
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(OutpostError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw OutpostError(.storage, "Cannot write \(path): \(String(cString: strerror(errno))).")
            }
            written += result
        }
    }
}

/// Chunks a put wrote, for its transaction.
struct ChunkTally {
    struct Written {
        var hash: String
        var size: Int
        var storedSize: Int
        var flags: Int
        var location: ChunkLocation
    }

    var new: [Written] = []
    /// The hashes of `new`, to find a chunk repeated within one put.
    var newHashes = Set<String>()
    /// Chunks that were kept already (deduplicated).
    var existing: [String] = []
    var compressed = false
}
