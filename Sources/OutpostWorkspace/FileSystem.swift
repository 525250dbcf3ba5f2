import Foundation
import OutpostCore

/// The file operations the workspace needs, with failures as ``OutpostError``s that name the path.
enum FileSystem {
    static func createDirectory(_ path: String) throws(OutpostError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OutpostError(
                .storage,
                "Cannot create the folder \(path): \((error as NSError).localizedDescription)."
            )
        }
    }

    /// Writes `text` to `path` through ``AtomicFile``, so a reader (or a crash) sees the old file
    /// or the new one, never half of one.
    static func write(_ text: String, to path: String) throws(OutpostError) {
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// Writes a file that does not exist yet, in one system call and without a temporary file:
    /// there is no old version to protect, and a file cut short by a crash is refused by `apply`
    /// and rewritten by the next `export`. Half the file creations of ``write(_:to:)``, which is
    /// what exporting thousands of definitions costs.
    static func create(_ text: String, at path: String) throws(OutpostError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            if errno == EEXIST { return try write(text, to: path) }
            throw OutpostError(.storage, "Cannot create \(path): \(String(cString: strerror(errno))).")
        }
        defer { close(descriptor) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            guard written > 0 else {
                throw OutpostError(
                    .storage,
                    "Cannot write \(path): \(String(cString: strerror(errno))). Check that the folder is writable and not full."
                )
            }
            offset += written
        }
    }

    static func remove(_ path: String) throws(OutpostError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw OutpostError(.storage, "Cannot remove \(path): \((error as NSError).localizedDescription).")
        }
    }

    /// The file's bytes, or `nil` when it cannot be read. Read with one `read` call into a buffer
    /// of the file's size: the workspace reads every definition on each status and commit.
    static func read(_ path: String) -> [UInt8]? {
        // Never through a link: a linked definition could copy a private file into the store.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let got = Foundation.read(descriptor, buffer.baseAddress! + count, size - count)
                guard got > 0 else {
                    failed = got < 0
                    return
                }
                count += got
            }
        }
        return failed ? nil : bytes
    }

    /// The names in a folder, or none when it cannot be listed.
    static func names(in folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }
}
