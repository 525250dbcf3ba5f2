import GRDB
public import OutpostCore
package import OutpostProtocol
import OutpostStore

/// What the sync engine needs to move file content: which chunks the hub may lack, their wire
/// form, and which files still wait for chunks from the hub. Chunks are content-addressed, so a
/// transfer cut short resumes by itself: what arrived is kept, and only the rest is asked for.
extension FileStore {
    /// The chunks of the files `names` (chunk lists first, then data) that are kept here and not
    /// yet known to be on the hub, without repeats. Trashed files count (they can be restored).
    package func chunksToUpload(forFiles names: [String]) throws(OutpostError) -> [String] {
        var seen = Set<String>()
        var hashes: [String] = []
        for name in names {
            guard let file = try file(named: name), file.content == "local" else { continue }
            let manifestHashes = try manifestHashes(of: name)
            let entries = try manifest(of: name).entries.map(\.hash)
            for hash in manifestHashes + entries where seen.insert(hash).inserted {
                hashes.append(hash)
            }
        }
        return try store.read { db in
            let statement = try db.cachedStatement(sql: "SELECT on_hub FROM outpost_chunks WHERE hash = ?")
            return try hashes.filter { try Int.fetchOne(statement, arguments: [$0]) != 1 }
        }
    }

    /// Records that the hub holds `hashes`.
    package func markOnHub(_ hashes: [String]) throws(OutpostError) {
        guard !hashes.isEmpty else { return }
        try store.write { db in
            let statement = try db.cachedStatement(sql: "UPDATE outpost_chunks SET on_hub = 1 WHERE hash = ?")
            for hash in hashes { try statement.execute(arguments: [hash]) }
        }
    }

    /// Files whose content is still to come from the hub, highest priority first.
    package func filesMissingContent(limit: Int = 100) throws(OutpostError) -> [(name: String, priority: Int)] {
        try store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT name, priority FROM files WHERE content = 'missing'
                    ORDER BY priority DESC, modified LIMIT ?
                    """,
                arguments: [limit]
            ).map { (name: $0["name"], priority: $0["priority"]) }
        }
    }

    /// The chunks `name` still lacks here: its chunk-list chunks first; once those are all
    /// here, its data chunks. Empty when the content is complete.
    package func chunksToFetch(forFile name: String) throws(OutpostError) -> [String] {
        let manifestHashes = try manifestHashes(of: name)
        let absentLists = manifestHashes.filter { !chunks.contains($0) }
        guard absentLists.isEmpty else { return absentLists }
        var seen = Set<String>()
        return try manifest(of: name).entries.map(\.hash).filter { !chunks.contains($0) && seen.insert($0).inserted }
    }

    /// Keeps chunks that came from the hub, each checked against its hash first; returns the
    /// hashes kept. A corrupt one is left out (and fetched again later), never stored.
    package func keepFetched(_ frames: [ChunkFrame]) throws(OutpostError) -> [String] {
        var kept: [(hash: String, size: Int, stored: [UInt8])] = []
        for frame in frames {
            guard let plain = try? frame.plainBytes(maximumSize: FileStoreConfiguration.maximumChunkBytes) else {
                continue
            }
            let stored = try ChunkCodec.stored(frame, key: key)
            try chunks.write(stored, as: frame.hash)
            kept.append((frame.hash, plain.count, stored))
        }
        guard !kept.isEmpty else { return [] }
        try chunks.flush()
        let now = Int64(WallClock.milliseconds())
        try store.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO outpost_chunks (hash, size, stored_size, flags, on_hub, created_at)
                    VALUES (?, ?, ?, ?, 1, ?)
                    ON CONFLICT (hash) DO UPDATE SET on_hub = 1, stored_size = excluded.stored_size,
                        flags = excluded.flags
                    """
            )
            for chunk in kept {
                try statement.execute(arguments: [
                    chunk.hash, chunk.size, chunk.stored.count, Int(chunk.stored[0]), now,
                ])
            }
        }
        return kept.map(\.hash)
    }

    /// Marks `name`'s content complete, provided its chunk list is still `manifestHashes` (a
    /// newer version may have arrived meanwhile, which then waits for its own chunks).
    package func markContentLocal(_ name: String, manifestHashes: [String]) throws(OutpostError) {
        let dataHashes = try manifest(of: name).entries.map(\.hash)
        let encrypted = key != nil
        try store.write { db in
            let current = try String.fetchOne(
                db,
                sql: "SELECT chunks FROM files WHERE name = ? AND content = 'missing'",
                arguments: [name]
            )
            guard let current, Self.hashes(inChunkList: current) == manifestHashes else { return }
            let flags = try db.cachedStatement(sql: "SELECT flags FROM outpost_chunks WHERE hash = ?")
            let compressed = try dataHashes.contains {
                (try Int.fetchOne(flags, arguments: [$0]) ?? 0) & Int(ChunkFrame.compressedFlag) != 0
            }
            try db.execute(
                sql: "UPDATE files SET content = 'local', compressed = ?, encrypted = ? WHERE name = ?",
                arguments: [compressed, encrypted, name]
            )
        }
    }
}
