import Foundation
import Logging
import OutpostBlobs
import OutpostCore
import OutpostProtocol
import OutpostStore
import Synchronization

/// File content beside the rows: chunks go up before the `files` row that refers to them (so a
/// node that pulls the row can always fetch them), and come down after the pull, highest
/// priority first. Both directions share the bandwidth cap and the daily quota with rows, and
/// both ask only for what the other side lacks, so an interrupted transfer resumes where it
/// stopped.
extension SyncEngine {
    /// The `files` table's name, as the store and hub know it.
    static let fileTable = "files"

    /// Uploads the chunks the hub lacks for the file rows in `batch`.
    func uploadContent(for batch: OutgoingBatch, report: inout SyncReport) async throws(SyncFailure) {
        guard let files else { return }
        let names = batch.entries.filter { $0.change.table == Self.fileTable && $0.change.operation != .delete }
            .map(\.change.key)
        guard !names.isEmpty else { return }
        // Each file's chunk list as the hub last confirmed it: the bases of deltas.
        let previous = try await guarded {
            try await store.read { db in
                try names.map { name in
                    let text = try BaseRows(db).base(table: Self.fileTable, key: name)?.data?["chunks"]?
                        .stringValue
                    return (name: name, previous: text.map(FileStore.hashes(inChunkList:)) ?? [])
                }
            }
        }
        let candidates = try guarded { try files.uploadPlan(forFiles: previous) }
        var start = 0
        while start < candidates.count {
            let slice = Array(candidates[start..<min(start + 1000, candidates.count)])
            start += slice.count
            let asked: HubClient.Exchange<[String]>
            do {
                asked = try await client.missingChunks(slice.map(\.hash))
            } catch {
                try await noteFailure(error)
                throw error
            }
            try await account(asked, report: &report)
            let missing = Set(asked.value)
            try guarded { try files.markOnHub(slice.map(\.hash).filter { !missing.contains($0) }) }
            var group: [ChunkFrame] = []
            var groupBytes = 0
            var groupBases = Set<String>()
            for chunk in slice where missing.contains(chunk.hash) {
                guard let frame = try? files.frame(for: chunk) else {
                    logger.warning("A chunk to upload is gone from this node", metadata: ["chunk": "\(chunk.hash)"])
                    continue
                }
                // The hub loads every base an upload names: keep to its cap.
                if !group.isEmpty, groupBases.union(frame.deltaBases).count > ChunkFrame.deltaBasesPerUpload {
                    try await send(group, critical: batch.isCritical, report: &report)
                    group = []
                    groupBytes = 0
                    groupBases = []
                }
                group.append(frame)
                groupBases.formUnion(frame.deltaBases)
                groupBytes += frame.payload.count + ChunkFrame.overhead
                if groupBytes >= transferGroupBytes {
                    try await send(group, critical: batch.isCritical, report: &report)
                    group = []
                    groupBytes = 0
                    groupBases = []
                }
            }
            if !group.isEmpty { try await send(group, critical: batch.isCritical, report: &report) }
        }
    }

    private func send(_ group: [ChunkFrame], critical: Bool, report: inout SyncReport) async throws(SyncFailure) {
        guard let files else { return }
        try await waitForBandwidth(critical: critical)
        let exchange: HubClient.Exchange<Int>
        do {
            exchange = try await client.upload(group)
        } catch
            where error.code == .refused && group.count > 1
            && (error.hubCode == "too_many_delta_bases" || error.hubCode == "upload_too_large")
        {
            // A hub with tighter limits than this node keeps to: send the group in halves.
            let half = group.count / 2
            try await send(Array(group[..<half]), critical: critical, report: &report)
            try await send(Array(group[half...]), critical: critical, report: &report)
            return
        } catch
            where error.code == .refused && error.hubCode == "delta_base_missing"
            && group.contains(where: { !$0.deltaBases.isEmpty })
        {
            // The hub no longer holds a base the node thought it had: send those chunks whole.
            let whole = try guarded { try group.map { $0.deltaBases.isEmpty ? $0 : try files.frame(of: $0.hash) } }
            try await send(whole, critical: critical, report: &report)
            return
        } catch {
            try await noteFailure(error)
            throw error
        }
        try await account(exchange, report: &report)
        try guarded { try files.markOnHub(group.map(\.hash)) }
        report.chunksSent += exchange.value
    }

    /// Fetches the chunks of every file whose content is not here yet, highest priority first.
    /// Past the daily quota only critical files come. A file whose chunks the hub does not hold
    /// (yet) waits for the next sync.
    public func fetchContent(progress: @Sendable (SyncProgress) -> Void = { _ in }) async throws(SyncFailure)
        -> SyncReport
    {
        var report = SyncReport()
        guard let files else { return report }
        // Files the node's policy does not want wait on the hub until asked for.
        _ = try guarded { try files.skipUnwanted(policy: try files.cachePolicy()) }
        var stuck = Set<String>()
        defer { _ = try? files.enforceBudget() }
        while true {
            let quota = try await quotaReached()
            let waiting = try guarded { try files.filesMissingContent(limit: 100) }
                .filter { !stuck.contains($0.name) && (!quota || $0.priority >= 10) }
            guard !waiting.isEmpty else { break }
            for file in waiting {
                if try await fetch(file.name, critical: file.priority >= 10, report: &report) {
                    report.filesFetched += 1
                    progress(SyncProgress(phase: .files, done: report.filesFetched, total: nil))
                } else {
                    stuck.insert(file.name)
                }
            }
        }
        return report
    }

    /// Fetches one file's content now, even one the cache budget evicted or the fetch policy
    /// skips, resuming from the chunks already here; then keeps the store within its budget
    /// (the file just fetched stays: it is the most recently used).
    ///
    /// - Returns: whether its content is here now (false when the hub lacks some of its chunks).
    public func fetchFile(named name: String) async throws(SyncFailure) -> Bool {
        guard let files else { return false }
        guard try guarded({ try files.want(name) }) else { return true }
        var report = SyncReport()
        let done = try await fetch(name, critical: true, report: &report)
        _ = try? files.enforceBudget(sparing: [name])
        return done
    }

    /// Fetches what `name` lacks; returns whether its content is now complete.
    private func fetch(_ name: String, critical: Bool, report: inout SyncReport) async throws(SyncFailure) -> Bool {
        guard let files else { return false }
        while true {
            let (manifest, needed) = try guarded {
                (try files.manifestHashes(of: name), try files.chunksToFetch(forFile: name))
            }
            if needed.isEmpty {
                try guarded { try files.markContentLocal(name, manifestHashes: manifest) }
                return true
            }
            let perRequest = max(1, transferGroupBytes / files.configuration.averageChunkSize)
            var start = 0
            while start < needed.count {
                let group = Array(needed[start..<min(start + perRequest, needed.count)])
                start += group.count
                try await waitForBandwidth(critical: critical)
                let exchange: HubClient.Exchange<[ChunkFrame]>
                do {
                    exchange = try await client.fetch(group)
                } catch {
                    try await noteFailure(error)
                    throw error
                }
                try await account(exchange, report: &report)
                let asked = Set(group)
                let kept = try guarded { try files.keepFetched(exchange.value.filter { asked.contains($0.hash) }) }
                report.chunksFetched += kept.count
                if kept.count < group.count {
                    logger.warning(
                        "The hub lacks chunks of a file, or sent them damaged; it waits for the next sync",
                        metadata: ["file": "\(name)", "missing": "\(group.count - kept.count)"]
                    )
                    return false
                }
            }
        }
    }

    /// Bytes a chunk request carries: a quarter second of the bandwidth cap, 1 MiB at most,
    /// 16 KiB at least.
    private var transferGroupBytes: Int {
        let capped = pacing.withLock { $0.limiter.map { Int($0.bytesPerSecond / 4) } }
        return max(16 << 10, min(1 << 20, capped ?? 1 << 20))
    }

    /// Spends an exchange's bytes from the bandwidth bucket and the daily count.
    private func account<Value>(_ exchange: HubClient.Exchange<Value>, report: inout SyncReport)
        async throws(SyncFailure)
    {
        let bytes = exchange.bytesSent + exchange.bytesReceived
        pacing.withLock { pacing in
            pacing.limiter?.spend(bytes, now: ContinuousClock.now)
            pacing.link.succeeded(elapsed: exchange.elapsed)
        }
        try await guarded {
            try await store.write { db in
                try SyncState.addTraffic(
                    sent: exchange.bytesSent,
                    received: exchange.bytesReceived,
                    today: Self.today(),
                    in: db
                )
            }
        }
        report.bytesSent += exchange.bytesSent
        report.bytesReceived += exchange.bytesReceived
    }
}
