import OutpostCore
import OutpostHub
import OutpostProtocol
import OutpostSync

/// Files cross levels as their rows do, and their chunks go first: a row never arrives at a hub
/// that lacks its content. Chunks a site node wrote go up before its row; chunks of an upstream
/// file are fetched once, before its row is written at the site, and every node of the site
/// then reads them from its site hub.
extension RelayExchange {
    /// Hashes asked or sent per request, well under the hubs' limits.
    private static let hashesPerRequest = 256
    /// Bytes of chunks sent per upload, under the hub's default body limit.
    private static let bytesPerUpload = 8 << 20

    /// Uploads every chunk of the files among `entries` that the upstream lacks.
    func sendChunks(of entries: [RelayEntry]) async throws {
        var manifests: [String] = []
        for entry in entries where entry.table == ChunkReachability.fileTable && !entry.deleted {
            if let list = Self.chunkList(of: try entry.data.map { try JSONValue(parsing: $0) }) {
                manifests += ManifestFormat.manifestHashes(inChunkList: list)
            }
        }
        guard !manifests.isEmpty else { return }
        let frames = try await site.storage.chunks(tenantID: site.tenantID, hashes: manifests, maximumBytes: .max)
        let data = ChunkReachability.dataChunks(
            of: manifests,
            frames: Dictionary(frames.map { ($0.hash, $0) }) { a, _ in a }
        )
        let wanted = Array(Set(manifests + (data ?? [])))
        var missing: [String] = []
        for part in wanted.split(every: Self.hashesPerRequest) {
            let answer = try await client.missingChunks(part)
            try await count(answer)
            missing += answer.value
        }
        var index = 0
        while index < missing.count {
            let part = Array(missing[index..<min(index + Self.hashesPerRequest, missing.count)])
            let frames = try await site.storage.chunks(
                tenantID: site.tenantID,
                hashes: part,
                maximumBytes: Self.bytesPerUpload
            )
            // The site lacks the rest of the part (never uploaded to it): the upstream refuses
            // the row, which the outbox then holds with the upstream's reason.
            guard !frames.isEmpty else { return }
            let answer = try await client.upload(frames)
            try await count(answer)
            index += frames.count
        }
    }

    /// Fetches from the upstream every chunk of the files among `rows` that the site lacks.
    func fetchChunks(of rows: [HubRow]) async throws {
        var manifests: [String] = []
        for row in rows where row.table == ChunkReachability.fileTable && !row.deleted && !row.left {
            if let list = Self.chunkList(of: row.data) { manifests += ManifestFormat.manifestHashes(inChunkList: list) }
        }
        guard !manifests.isEmpty else { return }
        try await fetchMissing(Array(Set(manifests)))
        let frames = try await site.storage.chunks(tenantID: site.tenantID, hashes: manifests, maximumBytes: .max)
        let data = ChunkReachability.dataChunks(
            of: manifests,
            frames: Dictionary(frames.map { ($0.hash, $0) }) { a, _ in a }
        )
        try await fetchMissing(Array(Set(data ?? [])))
    }

    private func fetchMissing(_ hashes: [String]) async throws {
        var missing = try await site.storage.missingChunks(tenantID: site.tenantID, hashes: hashes)
        while !missing.isEmpty {
            let part = Array(missing.prefix(Self.hashesPerRequest))
            let answer = try await client.fetch(part)
            try await count(answer)
            // The upstream lacks them too: the row is written anyway, as the upstream holds it,
            // and nodes report the content missing as they would under a direct link.
            guard !answer.value.isEmpty else { return }
            _ = try await site.storage.storeChunks(tenantID: site.tenantID, answer.value)
            let got = Set(answer.value.map(\.hash))
            missing.removeAll { got.contains($0) }
        }
    }

    /// A files row's chunk list (its `chunks` column).
    private static func chunkList(of data: JSONValue?) -> String? {
        guard case .string(let list)? = data?["chunks"] else { return nil }
        return list
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    fileprivate func split(every size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
