import Foundation
import GRDB
public import Logging
public import OutpostCore
public import OutpostStore

/// A node's git workspace: its agent, workflow and config definitions as JSON files in a git
/// repository, indexed in the node's store (see docs/workspace.md).
///
/// ```swift
/// let workspace = try Workspace.initialize(store: store, directory: home + "/workspace",
///                                          remote: nil, mergeDriver: [outpost, "--home", home])
/// try workspace.export(by: "ada")
/// try workspace.commit(message: "First definitions", author: "ada")
/// ```
///
/// The files are the reviewable, shareable form; the store stays the live one. `export` writes
/// the store's definitions to files, `apply` loads files into the store, and git (`commit`,
/// `log`, `diff`, `checkout`, `sync`) versions and shares the files. The index
/// (`workspace_items`) records what Outpost last saw of each file and whether it is committed
/// and pushed; `workspace_sync_log` records every commit, fetch, merge and push.
public final class Workspace: Sendable {
    public let store: Store
    /// The repository's working folder (absolute).
    public let directory: String
    public let git: Git
    let logger: Logger

    /// The `outpost_settings` key that remembers the workspace's folder.
    static let settingKey = "workspace_path"
    /// The merge driver's name in `.git/config` and `.gitattributes`.
    public static let mergeDriverName = "outpost-json"

    public init(store: Store, directory: String, git: Git, logger: Logger = Logger(label: "outpost.workspace")) {
        self.store = store
        self.directory = directory
        self.git = git
        self.logger = logger
    }

    /// The workspace `outpost workspace init` made for this node.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` when there is none, or git is missing.
    public static func open(
        store: Store,
        identity: Git.Identity = Git.Identity(parsing: "outpost"),
        logger: Logger = Logger(label: "outpost.workspace")
    ) throws(OutpostError) -> Workspace {
        let path = try store.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM outpost_settings WHERE key = ?", arguments: [settingKey])
        }
        guard let path, FileManager.default.fileExists(atPath: path + "/.git") else {
            throw OutpostError(
                .failedPrecondition,
                path.map { "The workspace at \($0) is gone (no .git there)." } ?? "This node has no workspace yet.",
                remedy: .createWorkspace
            )
        }
        return Workspace(
            store: store,
            directory: path,
            git: try Git(directory: path, identity: identity),
            logger: logger
        )
    }

    /// Makes a git repository at `directory` (or adopts the one there), lays it out, registers the
    /// JSON merge driver, sets the remote, remembers the folder and indexes the files found.
    ///
    /// Safe to run again: an existing repository keeps its history and files; the driver and
    /// remote are updated.
    ///
    /// - Parameters:
    ///   - remote: the URL of `origin`; `nil` leaves the remote as it is. A remote on this
    ///     machine (a path) must be a git repository, or is made one when `createRemote`; a
    ///     network remote is not checked, since a node may be offline when it is set up.
    ///   - mergeDriver: the command git runs to merge a definition file, before its `%O %A %B %P`
    ///     arguments (normally `[path of outpost, "workspace", "merge-driver", "--home", HOME]`).
    /// - Returns: the workspace, and whether a new repository was made.
    public static func initialize(
        store: Store,
        directory: String,
        remote: String?,
        mergeDriver: [String],
        createRemote: Bool = false,
        identity: Git.Identity = Git.Identity(parsing: "outpost"),
        logger: Logger = Logger(label: "outpost.workspace")
    ) throws(OutpostError) -> (workspace: Workspace, created: Bool) {
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        let git = try Git(directory: directory, identity: identity)
        let remote = try remote.map { remote throws(OutpostError) in
            try checkedRemote(remote, create: createRemote, git: git)
        }
        try FileSystem.createDirectory(directory)
        let created = !FileManager.default.fileExists(atPath: directory + "/.git")
        if created {
            try git.run(["init", "-q"])
            try git.run(["symbolic-ref", "HEAD", "refs/heads/main"])
        }
        let workspace = Workspace(store: store, directory: directory, git: git, logger: logger)
        for kind in ItemKind.allCases { try FileSystem.createDirectory(directory + "/" + kind.folder) }
        try workspace.registerMergeDriver(mergeDriver)
        try workspace.ensureAttributes()
        if let remote {
            let existing = try git.attempt(["remote", "get-url", "origin"])
            try git.run(
                existing.status == 0 ? ["remote", "set-url", "origin", remote] : ["remote", "add", "origin", remote]
            )
        }
        try store.write { db in
            try db.execute(
                sql:
                    "INSERT INTO outpost_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [settingKey, directory]
            )
        }
        if created {
            // A first commit of the layout, so every workspace has a history to merge others into.
            try git.run(["add", "--", ".gitattributes"])
            try git.run(["commit", "-q", "--no-verify", "-m", "Create the Outpost workspace"])
        }
        try workspace.refreshIndex(by: identity.name)
        if !created { try workspace.markCleanItemsCommitted() }
        return (workspace, created)
    }

    /// The remote as `origin` will hold it: a path on this machine made absolute (git would
    /// read a relative one from inside the workspace), checked to be a repository or, when
    /// asked, made one. A network URL is kept as given.
    static func checkedRemote(_ remote: String, create: Bool, git: Git) throws(OutpostError) -> String {
        guard isLocalPath(remote) else { return remote }
        let path =
            remote.hasPrefix("file://")
            ? String(remote.dropFirst("file://".count)) : URL(fileURLWithPath: remote).standardizedFileURL.path
        if try git.remoteAnswers(path) { return path }
        guard create, !FileManager.default.fileExists(atPath: path) else {
            throw OutpostError(
                .notFound,
                "The remote \(remote) is not a git repository"
                    + (FileManager.default.fileExists(atPath: path) ? "" : " (nothing is there)")
                    + "; nothing was changed. Give an existing repository, or --create-remote to make a bare one there.",
                details: ["remote": remote]
            )
        }
        try git.createBareRepository(at: path)
        return path
    }

    /// Whether a remote names a place on this machine: a `file://` URL or a path, not a network
    /// URL (`scheme://…`) or scp-like `host:path`.
    static func isLocalPath(_ remote: String) -> Bool {
        if remote.hasPrefix("file://") { return true }
        if remote.contains("://") { return false }
        guard let colon = remote.firstIndex(of: ":") else { return true }
        // `host:path` has its colon before any slash; `./odd:name` does not.
        return remote[..<colon].contains("/")
    }

    /// Registers the merge driver in `.git/config`; git runs the value through `sh`, so every
    /// word is quoted.
    func registerMergeDriver(_ command: [String]) throws(OutpostError) {
        let words = (command.map(Self.shellQuoted) + ["%O", "%A", "%B", "%P"]).joined(separator: " ")
        try git.run(["config", "merge.\(Self.mergeDriverName).name", "Outpost JSON three-way merge"])
        try git.run(["config", "merge.\(Self.mergeDriverName).driver", words])
    }

    /// Adds `*.json merge=outpost-json` to `.gitattributes` unless it is there.
    private func ensureAttributes() throws(OutpostError) {
        let path = directory + "/.gitattributes"
        let line = "*.json merge=\(Self.mergeDriverName)"
        let existing = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard !existing.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == line })
        else { return }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try FileSystem.write(existing + separator + line + "\n", to: path)
    }

    /// The URL of `origin`, or `nil` when the workspace has no remote.
    public func remoteURL() throws(OutpostError) -> String? {
        let output = try git.attempt(["remote", "get-url", "origin"])
        return output.status == 0 ? output.text : nil
    }

    /// The branch checked out (`main` for a workspace Outpost made).
    public func branch() throws(OutpostError) -> String {
        try git.run(["symbolic-ref", "--short", "HEAD"]).text
    }

    /// Whether the branch has a commit yet.
    func hasCommits() throws(OutpostError) -> Bool {
        try git.attempt(["rev-parse", "-q", "--verify", "HEAD^{commit}"]).status == 0
    }

    /// Whether a merge waits to be concluded (conflicts being resolved).
    public func isMerging() throws(OutpostError) -> Bool {
        try git.attempt(["rev-parse", "-q", "--verify", "MERGE_HEAD"]).status == 0
    }

    /// Paths git holds as unmerged.
    public func unmergedPaths() throws(OutpostError) -> [String] {
        try git.run(["diff", "--name-only", "--diff-filter=U", "-z"]).stdout.split(separator: 0)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends to `workspace_sync_log`.
    func log(_ operation: String, status: String, commit: String? = nil, error: String? = nil) {
        do {
            try store.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO workspace_sync_log (operation, commit_hash, status, error_message)
                        VALUES (?, ?, ?, ?)
                        """,
                    arguments: [operation, commit, status, error]
                )
            }
        } catch {
            logger.warning("Cannot write the workspace sync log", metadata: ["reason": "\(error)"])
        }
    }

    /// `word` quoted for `sh`.
    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
