import Foundation
import GRDB
public import OutpostCore
import OutpostStore

/// The index (`workspace_items`): what Outpost last saw of each file, kept in step with the folder.
extension Workspace {
    /// Every definition file in the folder, by relative path: `*.json` directly inside `agents/`,
    /// `workflows/` and `configs/`. Other files are not definitions and are left alone.
    func scanFiles() -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for path in listFiles() {
            if let bytes = FileSystem.read(directory + "/" + path) { files[path] = bytes }
        }
        return files
    }

    /// The relative paths of the definition files, without reading them.
    func listFiles() -> [String] {
        ItemKind.allCases.flatMap { kind in
            FileSystem.names(in: directory + "/" + kind.folder).filter { $0.hasSuffix(".json") }
                .map { kind.folder + "/" + $0 }
        }
    }

    /// The index's content of every item, by path (`nil` for a removed file).
    static func indexedContents(in db: Database) throws -> [String: String?] {
        var contents: [String: String?] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT path, content FROM workspace_items") {
            contents[row["path"]] = row["content"] as String?
        }
        return contents
    }

    /// Records `content` (`nil`: removed) for `path` if it differs from the index: a new version,
    /// `pending`. Returns whether it changed.
    @discardableResult
    static func record(_ path: String, content: String?, by person: String, known: String??, in db: Database) throws
        -> Bool
    {
        if let known, known == content { return false }
        if known == nil, content == nil { return false }
        guard case let (kind, name)? = ItemKind.parse(path: path) else { return false }
        // Cached: an export or apply records thousands of items in one transaction.
        try db.cachedStatement(
            sql: """
                INSERT INTO workspace_items (id, path, type, content, modified_by, sync_status)
                VALUES (?, ?, ?, ?, ?, 'pending')
                ON CONFLICT(id) DO UPDATE SET content = excluded.content, version = version + 1,
                    modified_at = CURRENT_TIMESTAMP, modified_by = excluded.modified_by, sync_status = 'pending'
                """
        ).execute(arguments: ["\(kind.folder)/\(name)", path, kind.rawValue, content, person])
        return true
    }

    /// Brings the index in step with the folder: files edited, added or removed by hand since
    /// Outpost last looked become `pending`. Returns how many changed.
    @discardableResult
    public func refreshIndex(by person: String) throws(OutpostError) -> Int {
        try requireRealFolders()
        let files = scanFiles()
        return try store.write { db in
            let known = try Self.indexedContents(in: db)
            var changed = 0
            for (path, bytes) in files where ItemKind.parse(path: path) != nil {
                let text = String(decoding: bytes, as: UTF8.self)
                if try Self.record(path, content: text, by: person, known: known[path], in: db) { changed += 1 }
            }
            for (path, content) in known where content != nil && files[path] == nil {
                if try Self.record(path, content: nil, by: person, known: content, in: db) { changed += 1 }
            }
            return changed
        }
    }

    /// After adopting a repository: items whose file is as committed are `committed`, not pending.
    func markCleanItemsCommitted() throws(OutpostError) {
        guard try hasCommits() else { return }
        let dirty = Set(
            try git.run(["status", "--porcelain", "-z", "--untracked-files=all"]).stdout.split(separator: 0)
                .map { String(decoding: $0.dropFirst(3), as: UTF8.self) }
        )
        try store.write { db in
            for path in try String.fetchAll(db, sql: "SELECT path FROM workspace_items WHERE sync_status = 'pending'")
            where !dirty.contains(path) {
                try db.execute(
                    sql: "UPDATE workspace_items SET sync_status = 'committed' WHERE path = ?",
                    arguments: [path]
                )
            }
        }
    }

    /// Index rows, in path order; by default those not yet in the remote or held by a conflict.
    public func items(all: Bool = false) throws(OutpostError) -> [WorkspaceItem] {
        try store.read { db in
            let filter = all ? "" : " WHERE sync_status != 'synced' OR conflict_id IS NOT NULL"
            return try Row.fetchAll(db, sql: "SELECT * FROM workspace_items\(filter) ORDER BY path").map { row in
                WorkspaceItem(
                    id: row["id"],
                    path: row["path"],
                    kind: ItemKind(rawValue: row["type"]) ?? .config,
                    exists: (row["content"] as String?) != nil,
                    version: row["version"],
                    modifiedAt: row["modified_at"],
                    modifiedBy: row["modified_by"],
                    syncStatus: WorkspaceItem.SyncStatus(rawValue: row["sync_status"]) ?? .pending,
                    conflictID: row["conflict_id"]
                )
            }
        }
    }

    /// How many items changed since the last commit.
    public func pendingCount() throws(OutpostError) -> Int {
        try store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM workspace_items WHERE sync_status = 'pending'") ?? 0
        }
    }
}

extension Workspace {
    /// The workspace's state, after bringing the index and the conflict records in step with
    /// the folder and git.
    public func status(all: Bool = false) throws(OutpostError) -> WorkspaceStatus {
        try reconcileConflicts()
        try refreshIndex(by: git.identity.name)
        let conflicts = try conflicts()
        let recorded = Set(conflicts.compactMap { record in ItemKind(folder: record.table)?.path(of: record.key) })
        return WorkspaceStatus(
            directory: directory,
            branch: try branch(),
            remote: try remoteURL(),
            merging: try isMerging(),
            items: try items(all: all),
            conflicts: conflicts,
            unmergedWithoutRecord: try unmergedPaths().filter { !recorded.contains($0) }
        )
    }
}
