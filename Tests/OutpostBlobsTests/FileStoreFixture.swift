import Crypto
import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostStore
import OutpostTesting

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

    /// Every chunk file on disk.
    func chunkFiles() -> [String] {
        let root = folder.appending("files/chunks")
        return ((try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? [])
            .filter { $0.split(separator: "/").last?.count == 64 }
            .map { root + "/" + $0 }
    }

    func queued(_ table: String = "files") throws -> [String] {
        try store.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT record_id FROM sync_queue WHERE table_name = ? AND status = 'pending' ORDER BY record_id",
                arguments: [table]
            )
        }
    }
}
