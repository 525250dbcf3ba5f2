public import Foundation
import GRDB
public import OutpostCore
import OutpostStore

#if canImport(Glibc)
    import Glibc
#endif

extension FileStore {
    /// Moves `name` to the trash: it leaves listings and cannot be read until restored, on every
    /// node once synced. Its chunks stay until garbage collection removes the trashed file.
    @discardableResult
    public func remove(_ name: String) throws(OutpostError) -> StoredFile {
        try store.write { db in
            guard let file = try Self.file(named: name, in: db) else { throw notFound(name) }
            guard file.trashedAt == nil else {
                throw OutpostError(.failedPrecondition, "'\(name)' is in the trash already.")
            }
            try db.execute(
                sql: "UPDATE files SET trashed_at = ? WHERE name = ?",
                arguments: [Int64(WallClock.milliseconds()), name]
            )
            return try Self.file(named: name, in: db)!
        }
    }

    /// Takes `name` out of the trash.
    @discardableResult
    public func restore(_ name: String) throws(OutpostError) -> StoredFile {
        try store.write { db in
            guard let file = try Self.file(named: name, in: db) else { throw notFound(name) }
            guard file.trashedAt != nil else {
                throw OutpostError(
                    .failedPrecondition,
                    "'\(name)' is not in the trash, so there is nothing to restore."
                )
            }
            try db.execute(sql: "UPDATE files SET trashed_at = NULL WHERE name = ?", arguments: [name])
            return try Self.file(named: name, in: db)!
        }
    }

    /// Retention: deletes files that have been in the trash for more than `days` (the deletion
    /// syncs), then removes every chunk no file references (older than the grace period).
    ///
    /// - Parameter days: trash older than this is emptied; `0` empties all of it.
    public func collectGarbage(trashOlderThanDays days: Int, now: Date = Date()) throws(OutpostError)
        -> FileGarbageReport
    {
        guard (0...36_500).contains(days) else {
            throw OutpostError(.invalidInput, "--older-than must be from 0 to 36500 days; \(days) was given.")
        }
        var report = FileGarbageReport()
        let cutoff = Int64(now.timeIntervalSince1970 * 1000) - Int64(days) * 86_400_000
        report.filesDeleted = try store.write { db in
            try db.execute(
                sql: "DELETE FROM files WHERE trashed_at IS NOT NULL AND trashed_at <= ?",
                arguments: [cutoff]
            )
            return db.changesCount
        }
        let lock = try chunks.lockUse(exclusive: true)
        defer { lock.release() }
        var referenced = Set<String>()
        for file in try list(includingTrash: true) {
            let hashes = try manifestHashes(of: file.name)
            referenced.formUnion(hashes)
            if let manifest = try? manifest(of: file.name) {
                referenced.formUnion(manifest.entries.map(\.hash))
            } else if file.content == "local" {
                // A readable file whose chunk list cannot be read keeps every chunk: collecting
                // while unsure could destroy the only copy.
                return report
            }
        }
        let graceSeconds = Double(configuration.chunkGracePeriod.components.seconds)
        let youngest = now.timeIntervalSince1970 - graceSeconds
        var removed: [String] = []
        for (hash, path) in chunkFiles() where !referenced.contains(hash) {
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            guard Double(status.st_mtim.tv_sec) <= youngest else { continue }
            report.bytesFreed += Int(status.st_size)
            unlink(path)
            removed.append(hash)
        }
        // Chunks in packs: their rows go; the space they held is taken back by compaction.
        let referencedHashes = referenced
        let oldestKept = Int64(youngest * 1000)
        let packed = try store.write { db in
            let unused = try Row.fetchAll(
                db,
                sql: "SELECT hash, stored_size FROM outpost_chunks WHERE pack IS NOT NULL AND created_at <= ?",
                arguments: [oldestKept]
            ).filter { !referencedHashes.contains($0["hash"]) }
            let statement = try db.cachedStatement(sql: "DELETE FROM outpost_chunks WHERE hash = ?")
            for row in unused { try statement.execute(arguments: [row["hash"] as String]) }
            return (count: unused.count, bytes: unused.reduce(0) { $0 + ($1["stored_size"] as Int) })
        }
        report.chunksDeleted = removed.count + packed.count
        report.bytesFreed += packed.bytes
        let removedHashes = removed
        try store.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM outpost_chunks WHERE hash = ? AND pack IS NULL")
            for hash in removedHashes { try statement.execute(arguments: [hash]) }
        }
        chunks.removeLeftovers()
        try compactPacks(now: now)
        return report
    }

    /// Takes back the space of chunks no row points to any more: a pack none of whose chunks is
    /// used is removed, and one mostly unused has its used chunks copied to a new pack first
    /// (durable before the rows move to it, so a crash leaves the old copy in use). Call it
    /// holding the chunks' use lock exclusively. Packs younger than the grace period with no row
    /// are left alone: a fetch may be writing one, its rows not yet committed.
    ///
    /// - Returns: the bytes of pack files removed, less what was copied.
    @discardableResult
    func compactPacks(now: Date = Date()) throws(OutpostError) -> Int64 {
        let youngest = now.addingTimeInterval(-Double(configuration.chunkGracePeriod.components.seconds))
        let live = try store.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT pack, sum(stored_size) AS used FROM outpost_chunks WHERE pack IS NOT NULL GROUP BY pack"
            ).reduce(into: [String: Int64]()) { $0[$1["pack"]] = $1["used"] }
        }
        var freed: Int64 = 0
        for pack in chunks.packs() {
            let used = live[pack.name] ?? 0
            if used == 0 {
                guard pack.modified <= youngest else { continue }
                chunks.removePack(pack.name)
                freed += pack.size
                continue
            }
            guard used * 2 < pack.size else { continue }
            let rows = try store.read { db in
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT hash, pack_offset, stored_size FROM outpost_chunks WHERE pack = ? ORDER BY pack_offset",
                    arguments: [pack.name]
                ).map { (hash: $0["hash"] as String, at: ChunkLocation(pack: pack.name, offset: $0[1], length: $0[2])) }
            }
            let writer = chunks.packWriter()
            defer { writer.close() }
            let reader = chunks.reader()
            var moved: [(hash: String, to: ChunkLocation)] = []
            for row in rows {
                guard let bytes = try reader.read(row.hash, at: row.at) else { continue }
                moved.append((row.hash, try writer.append(bytes)))
            }
            try writer.flush()
            let copies = moved
            try store.write { db in
                let statement = try db.cachedStatement(
                    sql: "UPDATE outpost_chunks SET pack = ?, pack_offset = ? WHERE hash = ? AND pack = ?"
                )
                for copy in copies {
                    try statement.execute(arguments: [copy.to.pack, copy.to.offset, copy.hash, pack.name])
                }
            }
            chunks.removePack(pack.name)
            freed += pack.size - moved.reduce(0) { $0 + Int64($1.to.length) }
        }
        return freed
    }

    /// What the store holds (the seed's storage statistics, plus chunks and deduplication).
    public func statistics() throws(OutpostError) -> FileStatistics {
        let budget = try cachePolicy().budgetBytes
        var statistics = try counts()
        statistics.budgetBytes = budget
        return statistics
    }

    private func counts() throws(OutpostError) -> FileStatistics {
        try store.read { db in
            var statistics = FileStatistics()
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*) AS files, coalesce(sum(size), 0) AS size,
                           coalesce(sum(sync_status = 'synced'), 0) AS synced,
                           coalesce(sum(sync_status = 'pending'), 0) AS pending,
                           coalesce(sum(content = 'missing'), 0) AS missing,
                           coalesce(sum(trashed_at IS NOT NULL), 0) AS trashed,
                           coalesce(sum(content = 'remote'), 0) AS remote,
                           coalesce(sum(pinned), 0) AS pinned,
                           coalesce(sum(compressed), 0) AS compressed,
                           coalesce(sum(encrypted), 0) AS encrypted,
                           coalesce(sum(CASE WHEN content = 'local' THEN size ELSE 0 END), 0) AS local_size
                    FROM files
                    """
            )!
            statistics.totalFiles = row["files"]
            statistics.totalSize = row["size"]
            statistics.syncedFiles = row["synced"]
            statistics.pendingFiles = row["pending"]
            statistics.missingFiles = row["missing"]
            statistics.trashedFiles = row["trashed"]
            statistics.remoteFiles = row["remote"]
            statistics.pinnedFiles = row["pinned"]
            statistics.compressedFiles = row["compressed"]
            statistics.encryptedFiles = row["encrypted"]
            let chunkRow = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*) AS chunks, coalesce(sum(size), 0) AS plain,
                           coalesce(sum(stored_size), 0) AS stored FROM outpost_chunks
                    """
            )!
            statistics.chunks = chunkRow["chunks"]
            statistics.chunkBytes = chunkRow["plain"]
            statistics.storedBytes = chunkRow["stored"]
            let localSize: Int = row["local_size"]
            statistics.deduplicationRatio =
                statistics.chunkBytes > 0 ? Double(localSize) / Double(statistics.chunkBytes) : 1
            return statistics
        }
    }

    /// Every chunk file on disk, as (hash, path).
    private func chunkFiles() -> [(String, String)] {
        let root = directory + "/chunks"
        var found: [(String, String)] = []
        for folder in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + folder)) ?? []
            where ChunkHash.isWellFormed(name) {
                found.append((name, "\(root)/\(folder)/\(name)"))
            }
        }
        return found
    }
}

/// What ``FileStore/collectGarbage(trashOlderThanDays:now:)`` removed.
public struct FileGarbageReport: Sendable, Equatable, Codable {
    public var filesDeleted = 0
    public var chunksDeleted = 0
    public var bytesFreed = 0

    enum CodingKeys: String, CodingKey {
        case filesDeleted = "files_deleted"
        case chunksDeleted = "chunks_deleted"
        case bytesFreed = "bytes_freed"
    }
}
