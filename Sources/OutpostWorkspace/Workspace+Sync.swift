import Foundation
import GRDB
public import OutpostCore
import OutpostStore

/// `outpost workspace sync`: fetch, merge, push with `origin`.
extension Workspace {
    /// What a sync did.
    public struct SyncOutcome: Sendable, Equatable {
        /// Whether the remote's branch was merged in (`false` when it had nothing new).
        public var merged: Bool
        /// Definition files the merge changed.
        public var changedPaths: [String]
        /// Commits pushed.
        public var pushed: Int
    }

    /// Fetches `origin`, merges its branch (git calls the JSON merge driver for every definition
    /// file both sides changed) and pushes the result. Items then become `synced`.
    ///
    /// - Throws: ``OutpostError``; local commits are kept whatever fails.
    ///   `.failedPrecondition` with no remote, uncommitted changes, or conflicts left for a person
    ///   (details carry `conflicts`); `.unavailable`-style `.failedPrecondition` naming the remote
    ///   when it cannot be reached.
    @discardableResult
    public func sync(mergeDriver: [String]? = nil) throws(OutpostError) -> SyncOutcome {
        guard let remote = try remoteURL() else {
            throw OutpostError(
                .failedPrecondition,
                "The workspace has no remote to sync with.",
                remedy: .setWorkspaceRemote
            )
        }
        try clearStaleIndexLock()
        try reconcileConflicts()
        try requireNoMerge(doing: "sync")
        if let mergeDriver { try registerMergeDriver(mergeDriver) }
        try refreshIndex(by: git.identity.name)
        let dirty = try git.run(["status", "--porcelain"]).text
        guard dirty.isEmpty else {
            throw OutpostError(
                .failedPrecondition,
                "The workspace has uncommitted changes; nothing was synced.",
                remedy: .commitWorkspace(orForce: false)
            )
        }
        let branch = try branch()
        let fetch = try git.attempt(["fetch", "-q", "origin"])
        guard fetch.status == 0 else {
            let ahead = try hasCommits() ? (try? git.run(["rev-list", "--count", "HEAD"]).text) ?? "?" : "0"
            log("fetch", status: "error", error: fetch.reason)
            throw OutpostError(
                .failedPrecondition,
                "Cannot reach the workspace remote \(remote) (\(fetch.reason)); local commits are kept (\(ahead) on "
                    + "\(branch)). Check the URL and the network.",
                details: ["remote": remote],
                remedy: .syncWorkspace
            )
        }
        log("fetch", status: "success")
        let tracking = "refs/remotes/origin/\(branch)"
        let before = try hasCommits() ? try git.run(["rev-parse", "HEAD"]).text : nil
        var merged = false
        var changed: [String] = []
        if try git.attempt(["rev-parse", "-q", "--verify", tracking]).status == 0 {
            try refuseLinks(in: tracking, doing: "merge")
            // Workspaces made apart start from their own first commits: their histories are unrelated.
            let merge = try git.attempt(["merge", "--no-edit", "-q", "--allow-unrelated-histories", tracking])
            let unmerged = try unmergedPaths()
            if !unmerged.isEmpty {
                let conflicts = try store.read { db in
                    try Int.fetchOne(
                        db,
                        sql: "SELECT count(*) FROM conflict_resolution WHERE kind = 'workspace' AND status = 'pending'"
                    ) ?? 0
                }
                log("merge", status: "conflict", error: "\(unmerged.count) file(s) need a person")
                throw OutpostError(
                    .failedPrecondition,
                    "Merged \(tracking) but \(unmerged.count) file(s) need a person "
                        + "(\(unmerged.prefix(3).joined(separator: ", "))).",
                    details: ["conflicts": "\(conflicts)", "unmerged": "\(unmerged.count)"],
                    remedy: .finishWorkspaceMerge(thenSync: true)
                )
            }
            guard merge.status == 0 else {
                log("merge", status: "error", error: merge.reason)
                throw OutpostError(.failedPrecondition, "git merge \(tracking) failed: \(merge.reason)")
            }
            let after = try git.run(["rev-parse", "HEAD"]).text
            merged = after != before
            if merged {
                let range = before.map { ["diff", "--name-only", "-z", $0, after] } ?? ["ls-files", "-z"]
                changed = try git.run(range).stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                    .filter { ItemKind.parse(path: $0) != nil }
            }
            log("merge", status: "success", commit: after)
        }
        var pushed = 0
        if try hasCommits() {
            let head = try git.run(["rev-parse", "HEAD"]).text
            let remoteHas = try git.attempt(["rev-parse", "-q", "--verify", tracking]).status == 0
            pushed = Int(try git.run(["rev-list", "--count", remoteHas ? "\(tracking)..HEAD" : "HEAD"]).text) ?? 0
            if pushed > 0 {
                let push = try git.attempt(["push", "-q", "origin", "HEAD:refs/heads/\(branch)"])
                guard push.status == 0 else {
                    log("push", status: "error", error: push.reason)
                    throw OutpostError(
                        .failedPrecondition,
                        "Cannot push to the workspace remote \(remote) (\(push.reason)); local commits are kept.",
                        details: ["remote": remote],
                        remedy: .syncWorkspace
                    )
                }
                log("push", status: "success", commit: head)
            }
        }
        try refreshIndex(by: git.identity.name)
        try store.write { db in
            try db.execute(sql: "UPDATE workspace_items SET sync_status = 'synced' WHERE sync_status != 'synced'")
        }
        return SyncOutcome(merged: merged, changedPaths: changed, pushed: pushed)
    }
}
