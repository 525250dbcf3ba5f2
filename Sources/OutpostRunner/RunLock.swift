import Foundation
import OutpostCore

/// Marks a run as owned by a live process: the runner holds an exclusive `flock` on
/// `RUNS/ID.lock` while the run goes. The kernel drops the lock when the process dies however
/// it dies (SIGKILL, power cut), so a run still `running` whose lock can be taken was
/// interrupted.
final class RunLock: Sendable {
    private let descriptor: Int32
    private let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock of run `id`, or returns `nil` when a live process holds it.
    static func take(_ id: String, in directory: String) throws(OutpostError) -> RunLock? {
        let path = "\(directory)/\(id).lock"
        var descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0, errno == ENOENT {
            // The first run in this home: make the folder, then try again.
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw OutpostError(
                    .storage,
                    "Cannot create the runs folder \(directory): \(error.localizedDescription)."
                )
            }
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else {
            throw OutpostError(.storage, "Cannot open \(path): \(String(cString: strerror(errno))).")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return RunLock(descriptor: descriptor, path: path)
    }

    /// Releases the lock once the run has its final status.
    func release() {
        unlink(path)
        close(descriptor)
    }
}
