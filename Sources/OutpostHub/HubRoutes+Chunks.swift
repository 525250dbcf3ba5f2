import Hummingbird
import OutpostCore
import OutpostProtocol
import Prometheus
import Synchronization

/// File chunks: a node asks which chunks the hub lacks, uploads those, and fetches the ones it
/// lacks itself. Chunks are kept per tenant (deduplicated across its nodes, invisible to other
/// tenants) and checked against their hash on the way in, so a damaged upload is refused whole.
extension HubRoutes {
    /// Most hashes one missing or fetch request may name.
    static let maximumHashesPerRequest = 10_000

    func registerChunkRoutes(on group: RouterGroup<HubRequestContext>) {
        group.post("chunks/missing") { request, context in try await missingChunks(request, context: context) }
        group.post("chunks") { request, context in try await uploadChunks(request, context: context) }
        group.post("chunks/fetch") { request, context in try await fetchChunks(request, context: context) }
    }

    /// Refuses a push whose `files` rows name chunks (manifests, or the data chunks those list)
    /// that the tenant does not hold, and keeps those it holds from the next chunk collection:
    /// a row must never reach other nodes without content they can fetch. A node whose record
    /// of what the hub holds is out of date uploads the chunks and pushes the row again.
    func checkFileContent(of batch: PushBatch, tenantID: String) async throws {
        for change in batch.changes
        where change.table == ChunkReachability.fileTable && change.operation != .delete {
            guard let data = change.data, data.columns?.contains(where: { $0.name == "chunks" }) ?? false,
                case .string(let list)? = try? data.value()["chunks"]
            else { continue }
            let manifests = ManifestFormat.manifestHashes(inChunkList: list)
            guard !manifests.isEmpty else { continue }
            var missing = try await storage.claimChunks(tenantID: tenantID, hashes: manifests)
            if missing.isEmpty {
                var frames: [String: ChunkFrame] = [:]
                for frame in try await storage.chunks(tenantID: tenantID, hashes: manifests, maximumBytes: .max) {
                    frames[frame.hash] = frame
                }
                guard let dataChunks = ChunkReachability.dataChunks(of: manifests, frames: frames) else {
                    throw HubError(
                        .unprocessableContent,
                        code: "invalid_chunk_list",
                        "The chunk list of file '\(change.key)' does not read as one: it must be whole entries."
                    )
                }
                missing = try await storage.claimChunks(tenantID: tenantID, hashes: Array(Set(dataChunks)))
            }
            guard let first = missing.first else { continue }
            throw HubError(
                .unprocessableContent,
                code: ProtocolErrorCode.missingChunks,
                "The file '\(change.key)' names \(missing.count) chunk(s) this hub does not hold (first \(first)); "
                    + "upload them, then push the row again."
            )
        }
    }

    private func missingChunks(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        let hashes = try await codec.decode(from: request, as: Self.hashList)
        let missing = try await storage.missingChunks(tenantID: node.tenantID, hashes: hashes)
        let body: JSONValue = ["missing": .array(missing.map { .string($0) })]
        return try codec.response(body: body.encoded(), for: request)
    }

    private func uploadChunks(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        let limits = configuration.limits
        let body = try await codec.bytes(from: request)
        let frames: [ChunkFrame]
        do {
            frames = try ChunkFrame.decode(body.readableBytesView, maximumPayload: limits.maximumChunkBytes)
        } catch {
            throw HubError.invalid("invalid_chunks", error.description)
        }
        guard !frames.isEmpty else {
            throw HubError.invalid("invalid_chunks", "The body holds no chunk frame; send at least one.")
        }
        // Delta frames are rebuilt on their bases (chunks the tenant holds, or earlier in this
        // upload) and stored whole; nothing is stored unless every frame checks out. Bases are
        // loaded frame by frame, counted against the upload's plain-byte budget and capped in
        // number, so a small body naming many bases cannot make the hub hold them all.
        let wanted = Set(frames.flatMap(\.deltaBases))
        guard wanted.count <= limits.maximumDeltaBasesPerUpload else {
            throw HubError(
                .contentTooLarge,
                code: "too_many_delta_bases",
                "The upload's deltas name \(wanted.count) distinct base chunks; at most "
                    + "\(limits.maximumDeltaBasesPerUpload) are allowed. Upload fewer deltas at a time."
            )
        }
        var bases: [String: [UInt8]] = [:]
        var whole: [ChunkFrame] = []
        var plainBytes = 0
        func checkBudget() throws(HubError) {
            guard plainBytes <= limits.maximumUploadPlainBytes else {
                throw HubError(
                    .contentTooLarge,
                    code: "upload_too_large",
                    "The chunks and their delta bases inflate to more than \(limits.maximumUploadPlainBytes) bytes. "
                        + "Upload fewer at a time."
                )
            }
        }
        for (index, frame) in frames.enumerated() {
            let absent = frame.deltaBases.filter { bases[$0] == nil }
            if !absent.isEmpty {
                for base in try await storage.chunks(tenantID: node.tenantID, hashes: absent, maximumBytes: .max) {
                    guard let plain = try? base.plainBytes(maximumSize: limits.maximumChunkBytes) else { continue }
                    plainBytes += plain.count
                    try checkBudget()
                    bases[base.hash] = plain
                }
            }
            if let missing = frame.deltaBases.first(where: { bases[$0] == nil }) {
                throw HubError(
                    .unprocessableContent,
                    code: "delta_base_missing",
                    "frame \(index) is a delta against chunk \(missing.prefix(12))…, which the hub does not hold. Send it whole."
                )
            }
            do {
                let plain = try frame.plainBytes(maximumSize: limits.maximumChunkBytes) { bases[$0] }
                plainBytes += plain.count
                if wanted.contains(frame.hash) { bases[frame.hash] = plain }
                whole.append(
                    frame.deltaBases.isEmpty
                        ? frame : plain.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: frame.hash) }
                )
            } catch {
                throw HubError.invalid("chunk_corrupt", "frame \(index): \(error.message)")
            }
            try checkBudget()
        }
        let stored = try await storage.storeChunks(tenantID: node.tenantID, whole)
        metrics.chunksStored.increment(by: Int64(stored))
        let answer: JSONValue = ["stored": .integer(Int64(stored)), "received": .integer(Int64(frames.count))]
        return try codec.response(body: answer.encoded(), for: request)
    }

    private func fetchChunks(_ request: Request, context: HubRequestContext) async throws -> Response {
        let node = try context.requireNode()
        var hashes = try await codec.decode(from: request, as: Self.hashList)
        if let scope = node.scope, scope.rules.tables[ChunkReachability.fileTable] != nil {
            // A chunk of a file outside the node's scope is answered as one the hub lacks.
            let visible = try await visibleChunks(among: Set(hashes), tenantID: node.tenantID, scope: scope)
            hashes = hashes.filter(visible.contains)
        }
        // Answers stay near the body limit; the node asks again for the rest.
        let frames = try await storage.chunks(
            tenantID: node.tenantID,
            hashes: hashes,
            maximumBytes: configuration.limits.maximumBodyBytes
        )
        return codec.response(bytes: ChunkFrame.encode(frames))
    }

    /// Which of `wanted` a file the node can see reaches: its manifest chunks, and the data
    /// chunks those name. Read per request, from the files the scope shows the node.
    private func visibleChunks(among wanted: Set<String>, tenantID: String, scope: NodeScope) async throws
        -> Set<String>
    {
        let lists = ChunkReachability.manifestLists(try await storage.fileChunkLists(tenantID: tenantID, scope: scope))
        let manifests = Set(lists.joined())
        var visible = wanted.intersection(manifests)
        guard visible.count < wanted.count else { return visible }
        var frames: [String: ChunkFrame] = [:]
        for frame in try await storage.chunks(tenantID: tenantID, hashes: Array(manifests), maximumBytes: .max) {
            frames[frame.hash] = frame
        }
        for list in lists {
            visible.formUnion(wanted.intersection(ChunkReachability.dataChunks(of: list, frames: frames) ?? []))
        }
        return visible
    }

    /// `{"hashes": ["…", …]}`: well-formed, at most ``maximumHashesPerRequest``.
    static func hashList(_ json: JSONValue) throws(WireError) -> [String] {
        guard case .array(let items)? = json["hashes"] else {
            throw WireError(path: "hashes", expected: "an array of chunk hashes")
        }
        guard items.count <= maximumHashesPerRequest else {
            throw WireError(path: "hashes", expected: "at most \(maximumHashesPerRequest) hashes")
        }
        var hashes: [String] = []
        for (index, item) in items.enumerated() {
            guard let hash = item.stringValue, ChunkFrame.isWellFormedHash(hash) else {
                throw WireError(path: "hashes[\(index)]", expected: "64 lower-case hex digits (a SHA-256)")
            }
            hashes.append(hash)
        }
        return hashes
    }
}
