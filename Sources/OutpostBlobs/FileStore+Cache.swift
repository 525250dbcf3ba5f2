import Foundation
import GRDB
public import OutpostCore
import OutpostStore

/// The Cache Manager: file content kept within a disk budget, pins, and files not fetched
/// until asked for.
extension FileStore {
    /// The `outpost_settings` key holding the ``FileCachePolicy`` (JSON).
    static let cachePolicySetting = "files_cache_policy"

    /// What ``enforceBudget()`` did.
    public struct Eviction: Sendable, Equatable, Codable {
        /// Files whose content is now kept on the hub only.
        public var files: [String] = []
        /// Bytes of chunks removed from disk.
        public var bytesFreed: Int64 = 0
        /// Bytes of chunks on disk afterwards.
        public var bytesKept: Int64 = 0

        enum CodingKeys: String, CodingKey {
            case files
            case bytesFreed = "bytes_freed"
            case bytesKept = "bytes_kept"
        }
    }

    /// The node's cache settings (none set: keep everything, fetch everything).
    public func cachePolicy() throws(OutpostError) -> FileCachePolicy {
        let text = try store.read { db in try Store.setting(Self.cachePolicySetting, in: db) }
        guard let text, let data = text.data(using: .utf8),
            let policy = try? JSONDecoder().decode(FileCachePolicy.self, from: data)
        else { return FileCachePolicy() }
        return policy
    }

    /// Replaces the node's cache settings.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` for a budget below zero or a priority out of 1…10.
    public func setCachePolicy(_ policy: FileCachePolicy) throws(OutpostError) {
        if let budget = policy.budgetBytes, budget < 0 {
            throw OutpostError(.invalidInput, "The files budget must be 0 bytes or more, not \(budget).")
        }
        if let priority = policy.skipBelowPriority { try Self.checkPriority(priority) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: (try? encoder.encode(policy)) ?? Data("{}".utf8), as: UTF8.self)
        try store.write { db in try Store.setSetting(Self.cachePolicySetting, to: text, in: db) }
    }

    /// Pins a file (its content is never evicted) or unpins it.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown name.
    @discardableResult
    public func setPinned(_ name: String, _ pinned: Bool) throws(OutpostError) -> StoredFile {
        try store.write { db in
            try db.execute(sql: "UPDATE files SET pinned = ? WHERE name = ?", arguments: [pinned, name])
            guard db.changesCount > 0 else { throw notFound(name) }
            return try Self.file(named: name, in: db)!
        }
    }

    /// Records that `name`'s content was read now, for least-recently-used eviction.
    func touch(_ name: String) {
        _ = try? store.write { db in
            try db.execute(
                sql: "UPDATE files SET last_used = ? WHERE name = ?",
                arguments: [Int64(WallClock.milliseconds()), name]
            )
        }
    }

    /// Asks for a file kept on the hub only: its content becomes `missing`, which the next
    /// fetch brings. Returns whether there was anything to fetch.
    @discardableResult
    package func want(_ name: String) throws(OutpostError) -> Bool {
        try store.write { db in
            try db.execute(
                sql: "UPDATE files SET content = 'missing' WHERE name = ? AND content = 'remote'",
                arguments: [name]
            )
            if db.changesCount > 0 { return true }
            guard let file = try Self.file(named: name, in: db) else { throw notFound(name) }
            return file.content == FileContent.missing
        }
    }

    /// Marks files from the hub that the policy skips as kept on the hub only, so the sync
    /// does not fetch them; returns their names.
    package func skipUnwanted(policy: FileCachePolicy) throws(OutpostError) -> [String] {
        guard !policy.skipPatterns.isEmpty || policy.skipBelowPriority != nil else { return [] }
        return try store.write { db in
            let waiting = try Row.fetchAll(db, sql: "SELECT name, priority FROM files WHERE content = 'missing'")
            var skipped: [String] = []
            for row in waiting {
                let name: String = row["name"]
                guard policy.skips(name: name, priority: row["priority"]) else { continue }
                // Chunks already fetched for it stay until the budget or `files gc` removes them.
                try db.execute(sql: "UPDATE files SET content = 'remote' WHERE name = ?", arguments: [name])
                skipped.append(name)
            }
            return skipped
        }
    }

    /// Keeps the chunks on disk within the budget: evicts the content of files, least recently
    /// used (or oldest) first, until the chunks that remain fit. Only content the hub holds
    /// whole goes (every chunk known to be on the hub); pinned and trashed files, and files
    /// still being fetched, keep theirs. A chunk another kept file uses stays. Evicted content
    /// is `remote`, fetched again when asked for.
    ///
    /// - Parameter sparing: files whose content stays this time (one just fetched because
    ///   someone asked for it), even if the budget is still exceeded.
    public func enforceBudget(sparing: Set<String> = []) throws(OutpostError) -> Eviction {
        let policy = try cachePolicy()
        var eviction = Eviction()
        let used = try store.read { db in
            try Int64.fetchOne(db, sql: "SELECT coalesce(sum(stored_size), 0) FROM outpost_chunks") ?? 0
        }
        eviction.bytesKept = used
        guard let budget = policy.budgetBytes, used > budget else { return eviction }
        let lock = try chunks.lockUse(exclusive: true)
        defer { lock.release() }

        // Which chunks each file with content here uses, and how many such files use each.
        struct Holder {
            var file: StoredFile
            var chunks: Set<String>
        }
        var holders: [Holder] = []
        var users: [String: Int] = [:]
        for file in try list(includingTrash: true) where file.content != FileContent.remote {
            var hashes = Set(try manifestHashes(of: file.name))
            if let manifest = try? manifest(of: file.name) {
                hashes.formUnion(manifest.entries.map(\.hash))
            } else if file.content == FileContent.local {
                return eviction  // unsure what it uses: evicting could destroy the only copy
            }
            holders.append(Holder(file: file, chunks: hashes))
            for hash in hashes { users[hash, default: 0] += 1 }
        }
        let sizes = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT hash, stored_size, on_hub FROM outpost_chunks").reduce(
                into: [String: (size: Int64, onHub: Bool)]()
            ) { $0[$1["hash"]] = (size: $1["stored_size"], onHub: $1["on_hub"]) }
        }
        let candidates = holders.filter { holder in
            holder.file.content == FileContent.local && !holder.file.pinned && holder.file.trashedAt == nil
                && !sparing.contains(holder.file.name)
                && holder.chunks.allSatisfy { sizes[$0]?.onHub ?? false }
        }.sorted { first, second in
            switch policy.evictBy {
            case .leastRecentlyUsed:
                (first.file.lastUsed ?? first.file.modified, first.file.name)
                    < (second.file.lastUsed ?? second.file.modified, second.file.name)
            case .oldest:
                (first.file.modified, first.file.name) < (second.file.modified, second.file.name)
            }
        }
        var freed: [String] = []
        var remaining = used
        for candidate in candidates where remaining > budget {
            eviction.files.append(candidate.file.name)
            for hash in candidate.chunks {
                users[hash, default: 1] -= 1
                if users[hash] == 0, let size = sizes[hash]?.size {
                    freed.append(hash)
                    remaining -= size
                }
            }
        }
        guard !eviction.files.isEmpty else { return eviction }
        // The index first: a crash after it leaves spare chunks (collected later), never a
        // file that says its content is here when it is not.
        let evicted = eviction.files
        try store.write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE files SET content = 'remote' WHERE name = ? AND content = 'local'"
            )
            for name in evicted { try statement.execute(arguments: [name]) }
        }
        for hash in freed { chunks.remove(hash) }  // a chunk in a file of its own; packs are compacted
        let removed = freed
        try store.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM outpost_chunks WHERE hash = ?")
            for hash in removed { try statement.execute(arguments: [hash]) }
        }
        try compactPacks()
        eviction.bytesFreed = used - remaining
        eviction.bytesKept = remaining
        return eviction
    }
}
