import Crypto
import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostStore
import OutpostTesting
import Testing

/// A node home with a store and its file store, removed at the end of a test.
struct FileStoreFixture {
    let folder: TemporaryDirectory
    let store: Store
    let files: FileStore

    init(configuration: FileStoreConfiguration = FileStoreConfiguration(), key: SymmetricKey? = nil) throws {
        folder = try TemporaryDirectory(prefix: "outpost-blobs")
        store = try Store(path: folder.appending("store.sqlite"), createIfMissing: true)
        files = try FileStore(
            store: store,
            directory: folder.appending("files"),
            configuration: configuration,
            key: key
        )
    }

    /// Deterministic pseudo-random bytes (incompressible), the same for the same seed.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return generator.bytes(count)
    }

    /// Every chunk the store records, by hash.
    func chunkHashes() throws -> [String] {
        try store.read { db in try String.fetchAll(db, sql: "SELECT hash FROM outpost_chunks ORDER BY hash") }
    }

    /// The pack files on disk.
    func packFiles() -> [String] {
        let root = folder.appending("files/packs")
        return ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasSuffix(".pack") }
            .map { root + "/" + $0 }
    }

    /// Where a chunk's stored bytes are: the pack's path, offset and length.
    func place(of hash: String) throws -> (path: String, offset: Int, length: Int) {
        let found = try store.read { db -> (String?, Int, Int)? in
            try Row.fetchOne(
                db,
                sql: "SELECT pack, pack_offset, stored_size FROM outpost_chunks WHERE hash = ?",
                arguments: [hash]
            ).map { ($0["pack"], $0["pack_offset"], $0["stored_size"]) }
        }
        let (pack, offset, length) = try #require(found)
        return (folder.appending("files/packs/\(try #require(pack)).pack"), offset, length)
    }

    /// The chunk's bytes as stored on disk (compressed, sealed).
    func storedBytes(of hash: String) throws -> [UInt8] {
        let place = try place(of: hash)
        let pack = try #require(FileManager.default.contents(atPath: place.path))
        return Array(pack[place.offset..<place.offset + place.length])
    }

    /// Flips a byte in the middle of the chunk's stored bytes, as a failing disk would.
    func damage(_ hash: String) throws {
        let place = try place(of: hash)
        var pack = try #require(FileManager.default.contents(atPath: place.path))
        pack[place.offset + place.length / 2] ^= 0xFF
        try pack.write(to: URL(fileURLWithPath: place.path))
    }

    /// The rows of `table` with a pending entry, the capture log folded first (as the engine does).
    func queued(_ table: String = "files") throws -> [String] {
        try store.write { db in
            try Outbox(db).fold()
            return try String.fetchAll(
                db,
                sql: "SELECT record_id FROM sync_queue WHERE table_name = ? AND status = 'pending' ORDER BY record_id",
                arguments: [table]
            )
        }
    }
}
