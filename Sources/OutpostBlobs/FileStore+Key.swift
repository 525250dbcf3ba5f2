import Crypto
import Foundation
import GRDB
import OutpostCore
import OutpostStore

/// A wrong `files.key` (a backup of another node's, a new key made after the old one was lost)
/// must not look like damage: damaged chunks are dropped and fetched again, which would destroy
/// every encrypted chunk the hub does not also hold. The store remembers the fingerprint of the
/// key its chunks are sealed with, and a file store opened with another key refuses to work.
extension FileStore {
    /// The `outpost_settings` key holding the fingerprint of the key chunks are sealed with.
    static let keyFingerprintSetting = "files_key_fingerprint"

    /// Records `key`'s fingerprint, or refuses `key` when chunks here are sealed with another.
    ///
    /// A store from before fingerprints were kept records the key once it has opened one of the
    /// store's encrypted chunks with it; a store whose encrypted chunks are all gone accepts a
    /// new key.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` naming both fingerprints.
    func requireSealingKey(_ key: SymmetricKey) throws(OutpostError) {
        let fingerprint = FileStoreKey.fingerprint(of: key)
        try store.write { db in
            let recorded = try String.fetchOne(
                db,
                sql: "SELECT value FROM outpost_settings WHERE key = ?",
                arguments: [Self.keyFingerprintSetting]
            )
            if recorded == fingerprint { return }
            let sealed = try String.fetchAll(
                db,
                sql: "SELECT hash FROM outpost_chunks WHERE flags & ? != 0 LIMIT 8",
                arguments: [Int(ChunkCodec.encryptedFlag)]
            )
            if let recorded, !sealed.isEmpty {
                throw Self.wrongKey(expected: recorded, found: fingerprint)
            }
            let reader = chunks.reader()
            let samples = try sealed.compactMap { hash in try reader.read(hash, at: ChunkLocation.lookup(hash, in: db))
            }
            if recorded == nil, let stored = samples.first, ChunkCodec.opens(stored, with: key) == false {
                throw Self.wrongKey(expected: nil, found: fingerprint)
            }
            try db.execute(
                sql: """
                    INSERT INTO outpost_settings (key, value) VALUES (?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """,
                arguments: [Self.keyFingerprintSetting, fingerprint]
            )
        }
    }

    private static func wrongKey(expected: String?, found: String) -> OutpostError {
        OutpostError(
            .failedPrecondition,
            "HOME/files.key (fingerprint \(found)) is not the key this node's files are encrypted with"
                + (expected.map { " (fingerprint \($0))" } ?? "")
                + ". Nothing was read, written or removed. Put the right files.key back from a backup.",
            details: ["key_fingerprint": found, "expected_fingerprint": expected ?? ""]
        )
    }
}
