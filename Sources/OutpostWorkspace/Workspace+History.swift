import Foundation
import GRDB
public import OutpostCore
import OutpostStore

/// `commit`, `log`, `diff` and `checkout`: the files' history, through git.
extension Workspace {
    /// A commit Outpost made: its hash and how many items it records.
    public struct CommitOutcome: Sendable, Equatable {
        public var hash: String
        public var items: Int
    }

    /// Commits every change in the workspace (`git add -A`, then `git commit`); the committed
    /// items become `committed`. During a merge whose conflicts are all resolved, this concludes
    /// the merge.
    ///
    /// - Parameter author: `Name` or `Name <email>`; defaults to the workspace's identity.
    /// - Returns: the commit, or `nil` when there was nothing to commit.
    /// - Throws: ``OutpostError`` `.failedPrecondition` while a file is still conflicted,
    ///   `.invalidInput` for an empty message.
    @discardableResult
    public func commit(message: String, author: String? = nil) throws(OutpostError) -> CommitOutcome? {
        guard !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw OutpostError(.invalidInput, "The commit message is empty; say what changed with -m MESSAGE.")
        }
        var git = self.git
        if let author { git.identity = Git.Identity(parsing: author) }
        try clearStaleIndexLock()
        try reconcileConflicts()
        try requireNoMerge(doing: "commit")
        try refreshIndex(by: git.identity.name)
        let merging = try isMerging()
        // Staged as one pack (git's bulk check-in, used for files above core.bigFileThreshold)
        // instead of a loose object file per definition: committing 10,000 files takes a quarter
        // of the time, most of which a plain `git add` spends creating inodes. Only this run
        // sees the setting; diffs and merges are unaffected.
        try git.run(["-c", "core.bigFileThreshold=1", "add", "-A"])
        if !merging, try hasCommits(), try git.run(["diff", "--cached", "--quiet"], allowing: [1]).status == 0 {
            return nil
        }
        if !merging, !(try hasCommits()), try git.run(["ls-files"]).stdout.isEmpty { return nil }
        let items = try pendingCount()
        do {
            try git.run(["commit", "-q", "--no-verify", "-m", message])
        } catch {
            log("commit", status: "error", error: error.message)
            throw error
        }
        let hash = try git.run(["rev-parse", "HEAD"]).text
        try store.write { db in
            try db.execute(sql: "UPDATE workspace_items SET sync_status = 'committed' WHERE sync_status = 'pending'")
        }
        log("commit", status: "success", commit: hash)
        return CommitOutcome(hash: hash, items: items)
    }

    /// The branch's history, newest first.
    ///
    /// - Parameter limit: at most this many commits. Defaults to 50.
    public func history(limit: Int = 50) throws(OutpostError) -> [CommitRecord] {
        guard try hasCommits() else { return [] }
        let output = try git.run(["log", "-n", "\(limit)", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e"])
        return output.text.split(separator: "\u{1e}").compactMap { entry in
            let fields = entry.trimmingCharacters(in: .newlines).split(
                separator: "\u{1f}",
                omittingEmptySubsequences: false
            )
            guard fields.count == 5 else { return nil }
            return CommitRecord(
                hash: String(fields[0]),
                author: String(fields[1]),
                email: String(fields[2]),
                date: String(fields[3]),
                message: String(fields[4])
            )
        }
    }

    /// What changed in the definition files since `revision` (default `HEAD`), new files too.
    ///
    /// - Returns: each changed path with git's letter (`A`dded, `M`odified, `D`eleted), and the
    ///   patch.
    public func diff(against revision: String? = nil) throws(OutpostError) -> (
        changes: [(String, String)], patch: String
    ) {
        let base = try resolve(revision ?? "HEAD")
        // New files are announced to git's index (intent to add) so the diff shows them.
        try git.run(["add", "-N", "--", "."])
        let names = try git.run(["diff", "--name-status", "-z", base, "--"]).stdout.split(separator: 0)
            .map { String(decoding: $0, as: UTF8.self) }
        var changes: [(String, String)] = []
        var index = 0
        while index + 1 < names.count {
            changes.append((names[index + 1], names[index]))
            index += 2
        }
        let patch = String(decoding: try git.run(["diff", base, "--"]).stdout, as: UTF8.self)
        return (changes, patch)
    }

    /// Rolls the definition files back to `revision` (files added since are removed), then
    /// applies them. The branch does not move: the rollback is a change to commit like any other.
    ///
    /// - Parameter force: discard uncommitted changes instead of refusing.
    /// - Returns: the commit rolled back to, and what the apply changed.
    /// - Throws: ``OutpostError`` `.notFound` for an unknown revision, `.failedPrecondition` for
    ///   uncommitted changes (without `force`) or a merge in progress; apply's errors (the store
    ///   is then unchanged, the files rolled back).
    public func checkout(_ revision: String, force: Bool = false, by person: String) throws(OutpostError) -> (
        commit: String, report: Report
    ) {
        try clearStaleIndexLock()
        try requireNoMerge(doing: "check out")
        let commit = try resolve(revision)
        try refuseLinks(in: commit, doing: "check out")
        try refreshIndex(by: person)
        let dirty = try git.run(["status", "--porcelain", "--", "agents", "workflows", "configs"]).text
        if !force, !dirty.isEmpty {
            throw OutpostError(
                .failedPrecondition,
                "The workspace has uncommitted changes that checking out \(revision) would lose.",
                remedy: .commitWorkspace(orForce: true)
            )
        }
        let folders = ItemKind.allCases.map(\.folder)
        let wanted = Set(
            try git.run(["ls-tree", "-r", "--name-only", "-z", commit, "--"] + folders).stdout.split(separator: 0)
                .map { String(decoding: $0, as: UTF8.self) }
        )
        for path in listFiles() where !wanted.contains(path) {
            try FileSystem.remove(directory + "/" + path)
        }
        let present = folders.filter { folder in wanted.contains { $0.hasPrefix(folder + "/") } }
        if !present.isEmpty { try git.run(["checkout", commit, "--"] + present) }
        do {
            return (commit, try apply(by: person))
        } catch {
            throw OutpostError(
                error.code,
                "The files are rolled back to \(revision), but the store is unchanged: \(error.message)",
                details: error.details
            )
        }
    }

    /// The commit `revision` names.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when it names none.
    func resolve(_ revision: String) throws(OutpostError) -> String {
        guard !revision.hasPrefix("-") else {
            throw OutpostError(.invalidInput, "'\(revision)' is not a revision; give a commit hash, tag or branch.")
        }
        let output = try git.attempt(["rev-parse", "-q", "--verify", revision + "^{commit}"])
        guard output.status == 0 else {
            throw OutpostError(
                .notFound,
                "No commit '\(revision)' in the workspace.",
                details: ["revision": revision],
                remedy: .list(.workspaceCommits)
            )
        }
        return output.text
    }
}
