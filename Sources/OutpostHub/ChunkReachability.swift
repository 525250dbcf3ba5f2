package import OutpostCore
package import OutpostProtocol

/// Which of a tenant's chunks its live files still reach: the manifest chunks their `files.chunks`
/// values list, and the data chunks those manifests name. Chunk collection keeps every one of
/// them, and collects nothing for a tenant when a live file's manifest is missing or unreadable
/// (it could name any chunk).
package struct ChunkReachability {
    /// The `files` table, as nodes sync it.
    package static let fileTable = "files"
    /// Most plain bytes a stored manifest chunk is read to (they average 2 KiB).
    static let manifestBytesLimit = 1 << 20

    /// Each live file's manifest chunk hashes, in order, from its `chunks` value.
    static func manifestLists(_ chunkValues: [String]) -> [[String]] {
        chunkValues.map(ManifestFormat.manifestHashes(inChunkList:)).filter { !$0.isEmpty }
    }

    /// Every chunk the files' manifests reach (the manifest chunks included), or nil when a
    /// manifest chunk is not among `frames` or the manifest does not read.
    static func reachable(lists: [[String]], frames: [ChunkFrame]) -> Set<String>? {
        var found: [String: ChunkFrame] = [:]
        for frame in frames { found[frame.hash] = frame }
        var reachable = Set<String>()
        for list in lists {
            guard let data = dataChunks(of: list, frames: found) else { return nil }
            reachable.formUnion(list)
            reachable.formUnion(data)
        }
        return reachable
    }

    /// The data chunks a file's manifest names: the plain bytes of its manifest chunks, in
    /// order, read as entries (a manifest chunk is cut by content, not at entry boundaries).
    /// Nil when one is missing or the whole does not read.
    package static func dataChunks(of list: [String], frames: [String: ChunkFrame]) -> [String]? {
        var bytes: [UInt8] = []
        for hash in list {
            guard let frame = frames[hash], let plain = try? frame.plainBytes(maximumSize: manifestBytesLimit)
            else { return nil }
            bytes += plain
        }
        return (try? ManifestFormat.entries(bytes))?.map(\.hash)
    }
}
