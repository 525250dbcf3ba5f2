import Foundation
public import OutpostCore

/// One sync engine per node: `outpost sync` and `outpost run` take an exclusive lock on
/// `HOME/sync.lock` (flock, released by the kernel when the process ends, even by SIGKILL).
public final class SyncLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock, or says who holds it.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` when another process syncs this node.
    public init(home: String) throws(OutpostError) {
        let path = home + "/sync.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutpostError(.storage, "Cannot open \(path): \(String(cString: strerror(errno))).")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            let holder = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines
            )
            close(descriptor)
            throw OutpostError(
                .failedPrecondition,
                "Another Outpost process (pid \(holder.isEmpty ? "unknown" : holder)) is syncing this node. "
                    + "Wait for it to finish, or stop it, then try again."
            )
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
