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
        try uploadPlan(forFiles: names.map { ($0, []) }).map(\.hash)
    }

    /// A chunk to upload, with the chunks of the file's previous version (which the hub holds)
    /// it most likely edits: the old chunk after the last unchanged one before it, and the old
    /// chunk before the next unchanged one after it. A delta against one of them sends only
    /// the bytes that changed.
    package struct PlannedChunk: Sendable, Equatable {
        package var hash: String
        package var bases: [String]
    }

    /// ``chunksToUpload(forFiles:)`` with delta bases: `previous` is each file's chunk list as
    /// the hub last confirmed it (empty when the hub has never had the file).
    package func uploadPlan(forFiles files: [(name: String, previous: [String])]) throws(OutpostError)
        -> [PlannedChunk]
    {
        var seen = Set<String>()
        var plan: [PlannedChunk] = []
        for (name, previous) in files {
            guard let file = try file(named: name), file.content == "local" else { continue }
            let lists = try manifestHashes(of: name)
            // A file whose chunk list is not here (a row another program wrote) uploads nothing:
            // the hub refuses its row for lack of content, and that one change is parked.
            guard let entries = try? manifest(of: name).entries.map(\.hash) else { continue }
            let oldEntries = previous.isEmpty ? [] : (try? previousEntries(previous)) ?? []
            for chunk in Self.planned(lists, against: previous) + Self.planned(entries, against: oldEntries)
            where seen.insert(chunk.hash).inserted {
                plan.append(chunk)
            }
        }
        return try store.read { db in
            let statement = try db.cachedStatement(sql: "SELECT on_hub FROM outpost_chunks WHERE hash = ?")
            return try plan.filter { try Int.fetchOne(statement, arguments: [$0.hash]) != 1 }
        }
    }

    /// The wire frame for a planned chunk: a delta against its bases (head from one, tail from
    /// one) when that is smaller, else the chunk whole.
    package func frame(for chunk: PlannedChunk) throws(OutpostError) -> ChunkFrame {
        let whole = try frame(of: chunk.hash)
        let bases = chunk.bases.compactMap { hash in (try? plainChunk(hash)).map { (hash: hash, bytes: $0) } }
        // The plain bytes come from the frame already read, not from a second read of the file.
        guard !bases.isEmpty,
            let plain = try? whole.plainBytes(maximumSize: FileStoreConfiguration.maximumChunkBytes),
            let delta = ChunkFrame.delta(plain: plain, hash: chunk.hash, bases: bases),
            delta.payload.count < whole.payload.count
        else { return whole }
        return delta
    }

    /// Each hash of `new` that `old` lacks, with its likely bases in `old`.
    static func planned(_ new: [String], against old: [String]) -> [PlannedChunk] {
        var oldIndex: [String: Int] = [:]
        for (index, hash) in old.enumerated() where oldIndex[hash] == nil { oldIndex[hash] = index }
        // The old position of the next unchanged chunk after each new one, from the end.
        var nextAnchor = [Int?](repeating: nil, count: new.count + 1)
        for index in stride(from: new.count - 1, through: 0, by: -1) {
            nextAnchor[index] = oldIndex[new[index]] ?? nextAnchor[index + 1]
        }
        var plan: [PlannedChunk] = []
        var lastAnchor: Int?
        for (index, hash) in new.enumerated() {
            if let anchor = oldIndex[hash] {
                lastAnchor = anchor
                continue
            }
            var bases: [String] = []
            let after = (lastAnchor ?? -1) + 1
            if after < old.count { bases.append(old[after]) }
            if let next = nextAnchor[index + 1], next > 0, old[next - 1] != bases.first {
                bases.append(old[next - 1])
            }
            plan.append(PlannedChunk(hash: hash, bases: bases))
        }
        return plan
    }

    /// The data chunks a previous chunk list spelled, when its chunks are still here.
    private func previousEntries(_ lists: [String]) throws(OutpostError) -> [String] {
        var bytes: [UInt8] = []
        for hash in lists { bytes += try plainChunk(hash) }
        return try FileManifest(decoding: bytes).entries.map(\.hash)
    }

    /// Forgets that the hub holds the chunks of file `name` (its chunk lists and, where they are
    /// still here, the data chunks they list), after the hub said it lacks some: the next push
    /// of the file asks about each again and uploads what it lacks.
    package func forgetHubCopies(ofFile name: String) throws(OutpostError) {
        let lists = (try? manifestHashes(of: name)) ?? []
        let entries = (try? manifest(of: name).entries.map(\.hash)) ?? []
        try store.write { db in
            let statement = try db.cachedStatement(sql: "UPDATE outpost_chunks SET on_hub = 0 WHERE hash = ?")
            for hash in lists + entries { try statement.execute(arguments: [hash]) }
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
        let absentLists = try absent(manifestHashes)
        guard absentLists.isEmpty else { return absentLists }
        var seen = Set<String>()
        return try absent(manifest(of: name).entries.map(\.hash).filter { seen.insert($0).inserted })
    }

    /// Which of `hashes` are not kept here, in a pack or in a file of their own.
    private func absent(_ hashes: [String]) throws(OutpostError) -> [String] {
        let packed = try store.read { db in
            try hashes.map { try ChunkLocation.lookup($0, in: db)?.pack != nil }
        }
        return zip(hashes, packed).compactMap { hash, inPack in inPack || chunks.contains(hash) ? nil : hash }
    }

    /// Keeps chunks that came from the hub, each checked against its hash first; returns the
    /// hashes kept. A corrupt one is left out (and fetched again later), never stored.
    package func keepFetched(_ frames: [ChunkFrame]) throws(OutpostError) -> [String] {
        var kept: [(hash: String, size: Int, flags: UInt8, location: ChunkLocation)] = []
        let pack = chunks.packWriter()
        var recorded = false
        defer { recorded ? pack.close() : pack.discard() }
        for frame in frames {
            guard let plain = try? frame.plainBytes(maximumSize: FileStoreConfiguration.maximumChunkBytes) else {
                continue
            }
            let stored = try ChunkCodec.stored(frame, key: key)
            kept.append((frame.hash, plain.count, stored[0], try pack.append(stored)))
        }
        guard !kept.isEmpty else { return [] }
        try pack.flush()
        let now = Int64(WallClock.milliseconds())
        try store.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO outpost_chunks (hash, size, stored_size, flags, on_hub, created_at, pack, pack_offset)
                    VALUES (?, ?, ?, ?, 1, ?, ?, ?)
                    ON CONFLICT (hash) DO UPDATE SET on_hub = 1, stored_size = excluded.stored_size,
                        flags = excluded.flags, pack = excluded.pack, pack_offset = excluded.pack_offset
                    """
            )
            for chunk in kept {
                try statement.execute(arguments: [
                    chunk.hash, chunk.size, chunk.location.length, Int(chunk.flags), now, chunk.location.pack,
                    chunk.location.offset,
                ])
            }
        }
        recorded = true
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
