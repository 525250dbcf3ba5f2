import Foundation
import OutpostCore

/// Marks a run as owned by a live process: the runner holds an exclusive `flock` on
/// `RUNS/ID.lock` while the run goes. The kernel drops the lock when the process dies however
/// it dies (SIGKILL, power cut), so a run still `running` whose lock can be taken was
/// interrupted. The file also holds the run as it started (``take(_:in:record:)``), so a run
/// whose process died before its row was written is found too (``leftBehind(in:)``).
final class RunLock: Sendable {
    /// The run's id (the file's name).
    let id: String
    private let descriptor: Int32
    private let path: String

    private init(id: String, descriptor: Int32, path: String) {
        self.id = id
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock of run `id`, or returns `nil` when a live process holds it; `record`
    /// (the run as it starts) is written into the lock file.
    static func take(_ id: String, in directory: String, record: String? = nil) throws(OutpostError) -> RunLock? {
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
        if let record {
            // Into a file made for this run (ids are never reused), so no truncation: on ext4,
            // closing a file truncated to zero forces its pages to disk (`auto_da_alloc`).
            let bytes = Array(record.utf8)
            guard pwrite(descriptor, bytes, bytes.count, 0) == bytes.count else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw OutpostError(.storage, "Cannot write the run record \(path): \(reason).")
            }
        }
        return RunLock(id: id, descriptor: descriptor, path: path)
    }

    /// The locks of runs no live process holds (their process died), taken: each with the
    /// record its run wrote when it started, if any.
    static func leftBehind(in directory: String) throws(OutpostError) -> [RunLock] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var locks: [RunLock] = []
        for name in names.sorted() where name.hasSuffix(".lock") {
            if let lock = try take(String(name.dropLast(5)), in: directory) { locks.append(lock) }
        }
        return locks
    }

    /// What the run wrote into its lock file when it started (nil when nothing was).
    var record: String? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size > 0, info.st_size < 1 << 20 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        guard pread(descriptor, &bytes, bytes.count, 0) == bytes.count else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Releases the lock once the run has its final status; `removingFile` false leaves the
    /// file (a run that may be starting in another process owns it).
    func release(removingFile: Bool = true) {
        if removingFile { unlink(path) }
        close(descriptor)
    }
}
