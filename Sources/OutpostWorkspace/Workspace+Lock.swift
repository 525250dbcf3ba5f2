import Foundation
import Logging
import OutpostCore

#if canImport(Glibc)
    import Glibc
#endif

/// git's `index.lock` outlives a git that was killed (with outpost, by a power cut or an OOM
/// kill), and then every commit, auto-commit and merge of the workspace fails until someone
/// removes it by hand. Outpost removes it itself, but only when no process holds the file open
/// and no git runs in the workspace: a lock a live git holds is never taken away.
extension Workspace {
    /// `.git/index.lock` of this workspace.
    var indexLockPath: String { directory + "/.git/index.lock" }

    /// Removes a stale `.git/index.lock` and says so in the log; leaves a live one and refuses.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` when a running git (or another process)
    ///   holds the lock, naming its process id.
    func clearStaleIndexLock() throws(OutpostError) {
        var info = stat()
        guard lstat(indexLockPath, &info) == 0 else { return }
        if let holder = Self.processHoldingIndexLock(of: directory) {
            throw OutpostError(
                .failedPrecondition,
                "Another git (process \(holder)) is working in the workspace and holds \(indexLockPath). "
                    + "Try again when it has finished.",
                details: ["pid": "\(holder)"]
            )
        }
        guard unlink(indexLockPath) == 0 || errno == ENOENT else {
            throw OutpostError(
                .failedPrecondition,
                "\(indexLockPath) was left by a git that stopped, but cannot be removed: "
                    + "\(String(cString: strerror(errno))). Remove it by hand."
            )
        }
        logger.warning(
            "Removed a stale git index lock: no process held it (a git was stopped while it worked)",
            metadata: ["workspace.lock": "\(indexLockPath)"]
        )
    }

    /// The id of a process that has the index lock of the repository at `folder` open, or of a
    /// `git` whose working folder is `folder` or below it; `nil` when there is none (as far as
    /// `/proc` shows this user).
    static func processHoldingIndexLock(of folder: String) -> Int32? {
        let own = getpid()
        let realFolder = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        let path = realFolder + "/.git/index.lock"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != own else { continue }
            let base = "/proc/\(entry)"
            let command = (try? String(contentsOfFile: base + "/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if command == "git", let cwd = link(base + "/cwd"),
                cwd == realFolder || cwd.hasPrefix(realFolder + "/")
            {
                return pid
            }
            for descriptor in (try? FileManager.default.contentsOfDirectory(atPath: base + "/fd")) ?? []
            where link("\(base)/fd/\(descriptor)") == path {
                return pid
            }
        }
        return nil
    }

    /// Where the symbolic link at `path` points, or nil.
    private static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
