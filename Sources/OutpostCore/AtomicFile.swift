import Foundation

/// Replaces a small file so that a reader sees the old contents or the new, never half, and a
/// crash after it returns keeps the new: the bytes go to a temporary file in the same folder
/// (created with `mode` before any byte is written), which is flushed, renamed over the file,
/// and then the folder is flushed so the rename itself is on disk.
///
/// The rules file, the remote and its token, and the workspace's definition files are written
/// this way.
public enum AtomicFile {
    /// - Throws: ``OutpostError`` `.storage` naming the file and the system's reason; the old
    ///   file is then untouched and no temporary file is left.
    public static func write(_ bytes: some Collection<UInt8>, to path: String, mode: Int = 0o644)
        throws(OutpostError)
    {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func failure(_ step: String) -> OutpostError {
            OutpostError(
                .storage,
                "Cannot \(step) \(path): \(String(cString: strerror(errno))). "
                    + "Check that the folder is writable and not full.",
                cause: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            )
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else { throw failure("create a temporary file beside") }
        let data = Array(bytes)
        var written = 0
        while written < data.count {
            let result = data.withUnsafeBytes { raw in
                Foundation.write(descriptor, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                let error = failure("write")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("flush")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("replace")
            unlink(temporary)
            throw error
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }
}
