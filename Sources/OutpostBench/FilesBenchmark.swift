import Crypto
import Foundation
import Logging
import OutpostBlobs
import OutpostCore
package import OutpostHub
import OutpostMerge
import OutpostProtocol
import OutpostStore
import OutpostSync
import OutpostSystem

/// `outpost bench files`: what file sync sends for an edit, against rsync on the same change in
/// the same run, and how fast files are cut and hashed, against hashing alone.
///
/// - 100 bytes inserted in the middle of a 16 MiB random file, then pushed (target: ≤ rsync's
///   bytes and ≤ 2% of the file);
/// - 1% of the 4 KiB pages of a 20 MB file rewritten in place (target ≤ 1.5× rsync's bytes);
/// - a second node putting a file whose chunks the hub already has (target: no chunk bytes);
/// - chunking plus hashing on one core (target ≥ 300 MB/s), against SHA-256 alone;
/// - a push uploading a 64 MiB random file's chunks, against the hub's storage storing chunks
///   of the same sizes alone (how much of an upload the hub's chunk table takes).
///
/// Bytes are counted on the wire by a relay in front of the hub (HTTP included, both ways);
/// rsync's are its own `Total bytes sent` plus `received` for `rsync --no-whole-file`.
package struct FilesBenchmark {
    let database: HubDatabase
    /// This run's folder: a fresh one under the temporary directory, removed when a run ends.
    let folder: String
    let averageChunkSize: Int

    /// - Parameters:
    ///   - database: the hub's; `nil` for a SQLite file in the run's temporary folder.
    ///   - averageChunkSize: a power of two; `nil` for the file store's default.
    package init(database: HubDatabase?, averageChunkSize: Int?) {
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(UUID().uuidString)").path
        self.database = database ?? .sqlite(path: folder + "/hub.sqlite")
        self.averageChunkSize = averageChunkSize ?? FileStoreConfiguration().averageChunkSize
    }

    struct Case: Encodable {
        var fileBytes: Int
        var outpostBytes: Int
        var rsyncBytes: Int?
        var chunksSent: Int
    }

    /// A push uploading a random file's chunks, and the hub's storage taking the same amount alone.
    struct Upload: Encodable {
        var fileBytes: Int
        var chunks: Int
        var pushSeconds: Double
        /// ``storeChunks`` of random chunks of the same sizes, in requests of the push's size.
        var storageSeconds: Double
    }

    package struct Result: Encodable {
        var machine: String
        var averageChunkSize: Int
        var chunkingMegabytesPerSecond: Double
        var hashingMegabytesPerSecond: Double
        var insertion: Case
        var pages: Case
        var duplicateChunksSent: Int
        var duplicateBytes: Int
        var upload: Upload
        var speed: FileSpeedBenchmark.Result

        package var report: String {
            func f(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
            func line(_ name: String, _ c: Case, target: String) -> String {
                let share = 100 * Double(c.outpostBytes) / Double(c.fileBytes)
                let rsync =
                    c.rsyncBytes.map { "rsync \($0) B, ratio \(f(Double(c.outpostBytes) / Double($0), 2))" }
                    ?? "rsync not installed"
                return
                    "\(name): \(c.outpostBytes) B sent (\(f(share, 2))% of \(c.fileBytes) B, \(c.chunksSent) chunks; \(rsync); \(target))"
            }
            return """
                machine: \(machine); average chunk \(averageChunkSize) B
                chunking + hashing \(f(chunkingMegabytesPerSecond)) MB/s on one core (SHA-256 alone \(f(hashingMegabytesPerSecond)) MB/s; target ≥ 300)
                \(line("100 B inserted mid 16 MiB", insertion, target: "target ≤ rsync and ≤ 2%"))
                \(line("1% of 4 KiB pages of 20 MB rewritten", pages, target: "target ≤ 1.5x rsync"))
                same file put on another node: \(duplicateChunksSent) chunks sent, \(duplicateBytes) B on the wire (target 0 chunks)
                upload of a \(upload.fileBytes >> 20) MiB random file (\(upload.chunks) chunks): push \(f(upload.pushSeconds, 2)) s (\(f(Double(upload.fileBytes) / upload.pushSeconds / 1e6)) MB/s); the hub's storage taking the same chunks alone \(f(upload.storageSeconds, 2)) s (\(f(100 * upload.storageSeconds / upload.pushSeconds))% of the push)
                \(speed.report)
                """
        }
    }

    package func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        progress("machine: \(MachineDescription.current)")
        let (chunking, hashing) = measureChunking()
        progress("chunking + hashing \(Int(chunking)) MB/s, SHA-256 alone \(Int(hashing)) MB/s")
        let speed = try FileSpeedBenchmark(folder: folder, averageChunkSize: averageChunkSize).run()
        progress(speed.report)
        return try await BenchHub.with(database: database, logLevel: .critical) { storage, port in
            let relay = try TCPRelay(upstreamPort: port)
            defer { relay.close() }
            let url = "http://127.0.0.1:\(relay.port)"
            var ids = UUIDv7()
            let tenant = "bench-files-" + ids.next().replacingOccurrences(of: "-", with: "")
            _ = try await storage.addTenant(name: tenant)
            func node(_ name: String) async throws -> (FileStore, SyncEngine) {
                let token = NodeToken.generate()
                _ = try await storage.addNode(tenant: tenant, name: name, tokenHash: NodeToken.hash(token))
                let home = NodeHome(path: folder + "/" + name)
                let store = try home.openStore(createIfMissing: true)
                var configuration = FileStoreConfiguration()
                configuration.averageChunkSize = averageChunkSize
                let files = try home.files(store: store, configuration: configuration)
                let engine = try home.engine(
                    store: store,
                    files: files,
                    rules: .defaults,
                    remote: RemoteConfiguration(url: url, token: token)
                )
                return (files, engine)
            }
            let (a, engineA) = try await node("a")
            let (b, engineB) = try await node("b")

            func measure(_ name: String, old: [UInt8], new: [UInt8]) async throws -> Case {
                try a.put(old, as: name)
                _ = try await engineA.push()
                try a.put(new, as: name)
                let before = relay.bytesRelayed
                let report = try await engineA.push()
                let sent = relay.bytesRelayed - before
                return Case(
                    fileBytes: new.count,
                    outpostBytes: sent,
                    rsyncBytes: try rsync(old: old, new: new, name: name),
                    chunksSent: report.chunksSent
                )
            }

            var generator = SplitMix64(seed: 42)
            let original = generator.bytes(16 << 20)
            var inserted = original
            inserted.insert(contentsOf: generator.bytes(100), at: original.count / 2)
            let insertion = try await measure("insert.bin", old: original, new: inserted)
            progress(
                "insertion: \(insertion.outpostBytes) B sent, rsync \(insertion.rsyncBytes.map(String.init) ?? "-") B"
            )

            let pagesOriginal = generator.bytes(20_000_000)
            var rewritten = pagesOriginal
            let pageCount = pagesOriginal.count / 4096
            var pages = Set<Int>()
            while pages.count < pageCount / 100 { pages.insert(Int(generator.next() % UInt64(pageCount))) }
            for page in pages.sorted() {
                rewritten.replaceSubrange(page * 4096..<(page + 1) * 4096, with: generator.bytes(4096))
            }
            let pagesCase = try await measure("pages.bin", old: pagesOriginal, new: rewritten)
            progress("pages: \(pagesCase.outpostBytes) B sent, rsync \(pagesCase.rsyncBytes.map(String.init) ?? "-") B")

            try b.put(original, as: "copy-of-insert.bin")
            let before = relay.bytesRelayed
            let duplicate = try await engineB.push()
            let duplicateBytes = relay.bytesRelayed - before

            let upload = try await measureUpload(
                generator.bytes(64 << 20),
                files: a,
                engine: engineA,
                storage: storage,
                tenant: tenant
            )
            progress(
                "upload: push \(String(format: "%.2f", upload.pushSeconds)) s, storage alone \(String(format: "%.2f", upload.storageSeconds)) s"
            )
            return Result(
                machine: MachineDescription.current,
                averageChunkSize: averageChunkSize,
                chunkingMegabytesPerSecond: chunking,
                hashingMegabytesPerSecond: hashing,
                insertion: insertion,
                pages: pagesCase,
                duplicateChunksSent: duplicate.chunksSent,
                duplicateBytes: duplicateBytes,
                upload: upload,
                speed: speed
            )
        }
    }

    /// Times a push of `bytes` put as a new file, then the hub's storage storing random chunks of
    /// the same sizes under another tenant, as many a call as a push's upload request carries.
    private func measureUpload(
        _ bytes: [UInt8],
        files: FileStore,
        engine: SyncEngine,
        storage: any HubStorage,
        tenant: String
    ) async throws -> Upload {
        try files.put(bytes, as: "upload.bin")
        let started = ContinuousClock.now
        _ = try await engine.push()
        let pushSeconds = (ContinuousClock.now - started).seconds
        let sizes = try files.manifest(of: "upload.bin").entries.map(\.length)
        // A push uploads a mebibyte of chunks a request.
        let perCall = max(1, (1 << 20) / averageChunkSize)

        let alone = try await storage.addTenant(name: tenant + "-alone")
        var generator = SplitMix64(seed: 7)
        let frames = sizes.map { size in
            let payload = generator.bytes(size)
            return ChunkFrame(hash: Hex.encode(Array(SHA256.hash(data: payload))), flags: 0, payload: payload)
        }
        let storing = ContinuousClock.now
        var index = 0
        while index < frames.count {
            let end = min(frames.count, index + perCall)
            _ = try await storage.storeChunks(tenantID: alone.id, Array(frames[index..<end]))
            index = end
        }
        return Upload(
            fileBytes: bytes.count,
            chunks: sizes.count,
            pushSeconds: pushSeconds,
            storageSeconds: (ContinuousClock.now - storing).seconds
        )
    }

    /// Cuts and hashes 128 MiB in memory, best of three, against SHA-256 over the same bytes.
    private func measureChunking() -> (chunking: Double, hashing: Double) {
        var generator = SplitMix64(seed: 7)
        let bytes = generator.bytes(128 << 20)
        let chunker = ContentDefinedChunker(averageSize: averageChunkSize)
        var bestChunking = Double.infinity
        var bestHashing = Double.infinity
        for _ in 0..<3 {
            var start = ContinuousClock.now
            bytes.withUnsafeBytes { raw in
                var offset = 0
                var digest = 0
                while offset < raw.count {
                    let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                    let length = chunker.cut(rest)
                    digest &+= Int(SHA256.hash(data: UnsafeRawBufferPointer(rebasing: rest[..<length])).hashValue)
                    offset += length
                }
                precondition(digest != 1)
            }
            bestChunking = min(bestChunking, (ContinuousClock.now - start).seconds)
            start = ContinuousClock.now
            bytes.withUnsafeBytes { raw in
                var offset = 0
                var digest = 0
                while offset < raw.count {
                    let length = min(1 << 20, raw.count - offset)
                    digest &+=
                        SHA256.hash(data: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length])).hashValue
                    offset += length
                }
                precondition(digest != 1)
            }
            bestHashing = min(bestHashing, (ContinuousClock.now - start).seconds)
        }
        let megabytes = Double(bytes.count) / 1_000_000
        return (megabytes / bestChunking, megabytes / bestHashing)
    }

    /// rsync's bytes on the wire (sent plus received) for turning `old` into `new`, or nil when
    /// rsync is not installed.
    private func rsync(old: [UInt8], new: [UInt8], name: String) throws -> Int? {
        guard let program = ["/usr/bin/rsync", "/bin/rsync"].first(where: FileManager.default.isExecutableFile)
        else { return nil }
        let source = folder + "/rsync-src"
        let target = folder + "/rsync-dst"
        for path in [source, target] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try Data(new).write(to: URL(fileURLWithPath: source + "/" + name))
        try Data(old).write(to: URL(fileURLWithPath: target + "/" + name))
        let rsync = try ChildProcess(
            program,
            ["--no-whole-file", "--ignore-times", "--stats", source + "/" + name, target + "/" + name]
        ).run()
        let output = String(decoding: rsync.stdout, as: UTF8.self)
        func total(_ label: String) -> Int? {
            output.split(separator: "\n").first { $0.hasPrefix(label) }
                .flatMap { Int($0.dropFirst(label.count).filter(\.isNumber)) }
        }
        guard let sent = total("Total bytes sent:"), let received = total("Total bytes received:") else { return nil }
        return sent + received
    }
}
