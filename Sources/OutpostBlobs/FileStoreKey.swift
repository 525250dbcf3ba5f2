public import Crypto
import Foundation
public import OutpostCore

/// The node's key for encryption at rest: 32 random bytes in `HOME/files.key`, readable by its
/// owner only. While the file exists, new chunks are sealed with AES-GCM before they touch disk.
/// Losing it loses the encrypted chunks the hub does not also hold: back it up.
public enum FileStoreKey {
    public static func path(home: String) -> String { home + "/files.key" }

    /// The key, or nil when the node does not encrypt at rest.
    ///
    /// - Throws: ``OutpostError`` `.storage` when the file exists but cannot be read or is not 32 bytes.
    public static func load(home: String) throws(OutpostError) -> SymmetricKey? {
        let path = path(home: home)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), data.count == 32 else {
            throw OutpostError(
                .storage,
                "\(path) is not a 32-byte key. Restore it from a backup; without it, encrypted chunks cannot be read."
            )
        }
        return SymmetricKey(data: data)
    }

    /// A short public name for `key` (16 hex digits of a hash of it), to tell keys apart in
    /// messages and to notice a wrong key without trying it on every chunk.
    public static func fingerprint(of key: SymmetricKey) -> String {
        var hash = SHA256()
        hash.update(data: Array("outpost files.key fingerprint v1".utf8))
        key.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return String(Hex.encode(hash.finalize()).prefix(16))
    }

    /// Makes a key unless there is one. Returns whether it made one.
    @discardableResult
    public static func create(home: String) throws(OutpostError) -> Bool {
        let path = path(home: home)
        if try load(home: home) != nil { return false }
        let key = SymmetricKey(size: .bits256)
        // Created exclusively with mode 0600: never readable by others, not even for a moment,
        // and never written through a symlink or over a key made meanwhile.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OutpostError(
                .storage,
                "Cannot create \(path): \(String(cString: strerror(errno))). Check the home's permissions."
            )
        }
        let written = key.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == 32, synced else {
            unlink(path)
            throw OutpostError(.storage, "Cannot write \(path). Check the free space.")
        }
        return true
    }
}
