import Crypto
import Foundation
import GRDB
import OutpostCore
import OutpostProtocol
import OutpostStore
import OutpostTesting
import Testing

@testable import OutpostBlobs

@Suite("File store")
struct FileStoreTests {
    @Test(
        "put then get returns the same bytes: empty, tiny, at chunk limits, large",
        arguments: [0, 1, 100, 4 << 10, (4 << 10) + 1, 128 << 10, (128 << 10) + 1, 3 << 20]
    )
    func roundTrip(size: Int) throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        let bytes = FileStoreFixture.randomBytes(size, seed: UInt64(size))
        let stored = try fixture.files.put(bytes, as: "data/blob.bin")
        #expect(stored.size == size)
        #expect(stored.hash == Hex.encode(SHA256.hash(data: bytes)))
        #expect(try fixture.files.contents(of: "data/blob.bin") == bytes)
        let out = fixture.folder.appending("out.bin")
        try fixture.files.get("data/blob.bin", to: out)
        #expect(FileManager.default.contents(atPath: out) == Data(bytes))
        let manifest = try fixture.files.manifest(of: "data/blob.bin")
        #expect(manifest.size == size)
        #expect(manifest.entries.allSatisfy { $0.length <= 128 << 10 })
    }

    @Test("a file put from disk streams through the chunker and reads back")
    func putFromDisk() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        let bytes = FileStoreFixture.randomBytes(5 << 20 + 12_345, seed: 9)
        let source = fixture.folder.appending("source.bin")
        FileManager.default.createFile(atPath: source, contents: Data(bytes))
        let stored = try fixture.files.put(contentsOf: source, as: "big.bin", priority: 8)
        #expect(stored.priority == 8 && stored.content == "local" && stored.syncStatus == "pending")
        #expect(try fixture.files.contents(of: "big.bin") == bytes)
        #expect(try fixture.queued() == ["big.bin"])
    }

    @Test("the same content under two names is stored once; putting it again changes nothing")
    func deduplication() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        let bytes = FileStoreFixture.randomBytes(1 << 20, seed: 4)
        try fixture.files.put(bytes, as: "a.bin")
        let chunksAfterFirst = try fixture.chunkHashes().count
        try fixture.files.put(bytes, as: "b.bin")
        #expect(try fixture.chunkHashes().count == chunksAfterFirst)
        #expect(fixture.packFiles().count == 1, "a put that writes no chunk makes no pack")
        let statistics = try fixture.files.statistics()
        #expect(statistics.totalFiles == 2)
        #expect(statistics.deduplicationRatio > 1.9 && statistics.deduplicationRatio < 2.1)
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
        }
        try fixture.files.put(bytes, as: "a.bin")
        #expect(try fixture.queued().isEmpty, "an identical put must not queue a change")
    }

    @Test("compressible content is kept compressed, incompressible content raw")
    func compression() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        let text = Array(String(repeating: "temperature,21.5,ok\n", count: 20_000).utf8)
        let compressed = try fixture.files.put(text, as: "log.csv")
        let random = try fixture.files.put(FileStoreFixture.randomBytes(200_000, seed: 5), as: "noise.bin")
        #expect(compressed.compressed)
        #expect(!random.compressed)
        let statistics = try fixture.files.statistics()
        #expect(statistics.storedBytes < statistics.chunkBytes)
        #expect(try fixture.files.contents(of: "log.csv") == text)
    }

    @Test("with a key, chunks are encrypted on disk and still read back; without it they cannot be read")
    func encryption() throws {
        let key = SymmetricKey(size: .bits256)
        let fixture = try FileStoreFixture(key: key)
        defer { fixture.folder.remove() }
        let secret = Array(String(repeating: "secret plan\n", count: 1000).utf8)
        let stored = try fixture.files.put(secret, as: "plan.txt")
        #expect(stored.encrypted)
        for hash in try fixture.chunkHashes() {
            let raw = try fixture.storedBytes(of: hash)
            #expect(raw.first.map { $0 & 2 != 0 } == true, "every chunk is flagged encrypted")
            #expect(!String(decoding: raw, as: UTF8.self).contains("secret"))
        }
        for pack in fixture.packFiles() {
            let bytes = try #require(FileManager.default.contents(atPath: pack))
            #expect(!String(decoding: bytes, as: UTF8.self).contains("secret"))
        }
        #expect(try fixture.files.contents(of: "plan.txt") == secret)
        let keyless = try FileStore(store: fixture.store, directory: fixture.folder.appending("files"), key: nil)
        #expect(throws: OutpostError.self) { try keyless.plainChunk(try keyless.manifestHashes(of: "plan.txt")[0]) }
        #expect {
            try FileStore(
                store: fixture.store,
                directory: fixture.folder.appending("files"),
                key: SymmetricKey(size: .bits256)
            )
        } throws: { error in
            (error as? OutpostError)?.code == .failedPrecondition
        }
        #expect(try fixture.files.contents(of: "plan.txt") == secret)
    }

    @Test("a store from before key fingerprints learns the key that opens its chunks and refuses another")
    func fingerprintLearnedFromChunks() throws {
        let key = SymmetricKey(size: .bits256)
        let fixture = try FileStoreFixture(key: key)
        defer { fixture.folder.remove() }
        let secret = FileStoreFixture.randomBytes(50_000, seed: 5)
        try fixture.files.put(secret, as: "plan.bin")
        try fixture.store.write { db in
            try db.execute(sql: "DELETE FROM outpost_settings WHERE key = 'files_key_fingerprint'")
        }
        let directory = fixture.folder.appending("files")
        #expect(throws: OutpostError.self) {
            try FileStore(store: fixture.store, directory: directory, key: SymmetricKey(size: .bits256))
        }
        let reopened = try FileStore(store: fixture.store, directory: directory, key: key)
        #expect(try reopened.contents(of: "plan.bin") == secret)
        let recorded = try fixture.store.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM outpost_settings WHERE key = 'files_key_fingerprint'")
        }
        #expect(recorded == FileStoreKey.fingerprint(of: key))
    }

    @Test("a sealed chunk that does not open is moved to the quarantine, never deleted, and fetched again")
    func damagedSealedChunkIsQuarantined() throws {
        let fixture = try FileStoreFixture(key: SymmetricKey(size: .bits256))
        defer { fixture.folder.remove() }
        try fixture.files.put(FileStoreFixture.randomBytes(200_000, seed: 12), as: "camera.raw")
        let entry = try fixture.files.manifest(of: "camera.raw").entries[1]
        try fixture.damage(entry.hash)
        #expect(throws: OutpostError.self) { try fixture.files.contents(of: "camera.raw") }
        #expect(try !fixture.chunkHashes().contains(entry.hash))
        #expect(FileManager.default.fileExists(atPath: fixture.folder.appending("files/quarantine/\(entry.hash)")))
        #expect(try fixture.files.chunksToFetch(forFile: "camera.raw") == [entry.hash])
    }

    @Test("the key file is made once, 32 bytes, readable by its owner only")
    func keyFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(try FileStoreKey.load(home: folder.path) == nil)
        #expect(try FileStoreKey.create(home: folder.path))
        #expect(try !FileStoreKey.create(home: folder.path))
        let attributes = try FileManager.default.attributesOfItem(atPath: FileStoreKey.path(home: folder.path))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
    }

    @Test("a file over the size limit is refused before anything is stored")
    func sizeLimit() throws {
        var configuration = FileStoreConfiguration()
        configuration.maximumFileSize = 1000
        let fixture = try FileStoreFixture(configuration: configuration)
        defer { fixture.folder.remove() }
        let source = fixture.folder.appending("big.bin")
        FileManager.default.createFile(atPath: source, contents: Data(FileStoreFixture.randomBytes(1001, seed: 6)))
        #expect {
            try fixture.files.put(contentsOf: source, as: "big.bin")
        } throws: { ($0 as? OutpostError)?.code == .invalidInput && "\($0)".contains("over the limit") }
        #expect(throws: OutpostError.self) {
            try fixture.files.put(FileStoreFixture.randomBytes(1001, seed: 6), as: "x")
        }
        #expect(try fixture.files.list().isEmpty)
        #expect(try fixture.chunkHashes().isEmpty)
        #expect(fixture.packFiles().isEmpty, "a refused put leaves no pack behind")
        #expect(try fixture.files.put(FileStoreFixture.randomBytes(1000, seed: 6), as: "ok.bin").size == 1000)
    }

    @Test("a refused name stores nothing")
    func refusedName() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        #expect(throws: OutpostError.self) { try fixture.files.put([1, 2, 3], as: "../escape") }
        #expect(throws: OutpostError.self) { try fixture.files.put([1, 2, 3], as: "a", priority: 11) }
        #expect(try fixture.files.list().isEmpty)
        #expect(try fixture.queued().isEmpty)
    }

    @Test("rm moves to the trash (unreadable, unlisted), restore brings it back; both sync")
    func trashAndRestore() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        let bytes = FileStoreFixture.randomBytes(50_000, seed: 7)
        try fixture.files.put(bytes, as: "notes.txt")
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
        }
        try fixture.files.remove("notes.txt")
        #expect(try fixture.queued() == ["notes.txt"], "the move to the trash syncs")
        #expect(try fixture.files.list().isEmpty)
        #expect(try fixture.files.list(includingTrash: true).map(\.name) == ["notes.txt"])
        #expect {
            try fixture.files.contents(of: "notes.txt")
        } throws: { ($0 as? OutpostError)?.code == .failedPrecondition }
        #expect(throws: OutpostError.self) { try fixture.files.remove("notes.txt") }
        try fixture.files.restore("notes.txt")
        #expect(try fixture.files.contents(of: "notes.txt") == bytes)
        #expect(throws: OutpostError.self) { try fixture.files.restore("notes.txt") }
        #expect(throws: OutpostError.self) { try fixture.files.remove("nothing-here") }
    }

    @Test("a put appends all its chunks to one pack file; a pack mostly unused is rewritten by gc")
    func packsAndCompaction() throws {
        var configuration = FileStoreConfiguration()
        configuration.chunkGracePeriod = .zero
        let fixture = try FileStoreFixture(configuration: configuration)
        defer { fixture.folder.remove() }
        let kept = FileStoreFixture.randomBytes(100_000, seed: 21)
        let dropped = FileStoreFixture.randomBytes(400_000, seed: 22)
        try fixture.files.put(kept + dropped, as: "both.bin")
        #expect(try fixture.chunkHashes().count > 10)
        #expect(fixture.packFiles().count == 1, "every chunk of one put in one pack")
        let original = try #require(fixture.packFiles().first)
        try fixture.files.put(kept, as: "kept.bin")
        try fixture.files.remove("both.bin")
        let report = try fixture.files.collectGarbage(trashOlderThanDays: 0)
        #expect(report.filesDeleted == 1 && report.chunksDeleted > 0)
        // kept.bin's own pack holds its last chunk and its chunk list (both differ from both.bin's).
        let packs = fixture.packFiles()
        #expect(!packs.contains(original), "the mostly unused pack is replaced by a copy of what is used")
        let size = try packs.reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int ?? 0)
        }
        #expect(size < 200_000, "the packs hold the used chunks only (\(size) bytes)")
        #expect(try fixture.files.contents(of: "kept.bin") == kept)
        for hash in try fixture.chunkHashes() { #expect(try packs.contains(fixture.place(of: hash).path)) }
    }

    @Test("gc empties old trash and removes unreferenced chunks, keeping every chunk a file uses")
    func garbageCollection() throws {
        var configuration = FileStoreConfiguration()
        configuration.chunkGracePeriod = .zero
        let fixture = try FileStoreFixture(configuration: configuration)
        defer { fixture.folder.remove() }
        let shared = FileStoreFixture.randomBytes(300_000, seed: 8)
        let only = FileStoreFixture.randomBytes(300_000, seed: 9)
        try fixture.files.put(shared, as: "keep.bin")
        try fixture.files.put(shared + only, as: "drop.bin")
        try fixture.files.put(FileStoreFixture.randomBytes(1000, seed: 10), as: "trashed-recently.bin")
        try fixture.files.remove("drop.bin")
        try fixture.files.remove("trashed-recently.bin")
        try fixture.store.write { db in
            try db.execute(sql: "UPDATE files SET trashed_at = trashed_at - 40 * 86400000 WHERE name = 'drop.bin'")
        }
        let before = try fixture.chunkHashes().count
        #expect(fixture.packFiles().count == 3)
        let report = try fixture.files.collectGarbage(trashOlderThanDays: 30)
        #expect(report.filesDeleted == 1)
        #expect(report.chunksDeleted > 0 && report.bytesFreed > 0)
        #expect(try fixture.chunkHashes().count == before - report.chunksDeleted)
        #expect(fixture.packFiles().count == 2, "the pack only drop.bin used is removed")
        #expect(try fixture.files.contents(of: "keep.bin") == shared)
        try fixture.files.restore("trashed-recently.bin")
        #expect(try fixture.files.contents(of: "trashed-recently.bin").count == 1000)
        #expect(try fixture.files.file(named: "drop.bin") == nil)
        #expect(try fixture.queued().contains("drop.bin"), "the purge syncs as a delete")
        let again = try fixture.files.collectGarbage(trashOlderThanDays: 30)
        #expect(again.chunksDeleted == 0)
    }

    /// Issue 15, item 13: a put that reused chunks no file referenced printed "Stored" while a
    /// collection running beside it deleted them, and the file could not be read.
    @Test("gc beside a put that reuses unreferenced chunks never deletes what the put stores")
    func garbageCollectionBesidePut() async throws {
        var configuration = FileStoreConfiguration()
        configuration.chunkGracePeriod = .zero
        let fixture = try FileStoreFixture(configuration: configuration)
        defer { fixture.folder.remove() }
        let files = fixture.files
        for round in 0..<8 {
            let content = FileStoreFixture.randomBytes(3_000_000, seed: UInt64(100 + round))
            try files.put(content, as: "old.bin")
            try files.remove("old.bin")
            let put = Task.detached { try files.put(content, as: "new-\(round).bin") }
            let collect = Task.detached { try files.collectGarbage(trashOlderThanDays: 0) }
            _ = try await (put.value, collect.value)
            #expect(try files.contents(of: "new-\(round).bin") == content, "round \(round)")
        }
    }

    @Test("a corrupted chunk is detected, never returned, and marked for fetching again")
    func corruption() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        let bytes = FileStoreFixture.randomBytes(200_000, seed: 11)
        try fixture.files.put(bytes, as: "camera.raw")
        let entry = try fixture.files.manifest(of: "camera.raw").entries[1]
        try fixture.damage(entry.hash)
        #expect {
            try fixture.files.contents(of: "camera.raw")
        } throws: { error in
            let error = error as! OutpostError
            return error.code == .storage && error.message.contains("corrupt") && error.remedy == .syncWithHub
        }
        #expect(try !fixture.chunkHashes().contains(entry.hash), "the bad chunk is forgotten")
        #expect(try fixture.files.file(named: "camera.raw")?.content == "missing")
        #expect(try fixture.files.chunksToFetch(forFile: "camera.raw") == [entry.hash])
        #expect(throws: OutpostError.self) { try fixture.files.get("camera.raw", to: fixture.folder.appending("x")) }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appending("x")), "no partial output")
    }

    @Test("a chunk list naming a chunk longer than any chunk can be is refused as damaged")
    func oversizedListEntry() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        try fixture.files.put(FileStoreFixture.randomBytes(50_000, seed: 21), as: "model.bin")
        let entry = try fixture.files.manifest(of: "model.bin").entries[0]
        // A list of one entry: a chunk this node holds, said to be 4 GiB long. A get sizes its
        // blocks by these lengths, so it must refuse the list before reading into one.
        let list = FileManifest(entries: [.init(hash: entry.hash, length: Int(UInt32.max))]).encoded()
        let listHash = ChunkHash.of(list)
        #expect(try fixture.files.keepFetched([ChunkFrame(hash: listHash, flags: 0, payload: list)]) == [listHash])
        try fixture.store.write { db in
            try db.execute(
                sql: "UPDATE files SET chunks = ? WHERE name = 'model.bin'",
                arguments: [JSONValue.array([.string(listHash)]).encoded()]
            )
        }
        #expect {
            try fixture.files.contents(of: "model.bin")
        } throws: { error in
            let error = error as! OutpostError
            return error.code == .storage && error.details["whole_file_hash"] == "mismatch"
        }
        #expect(throws: OutpostError.self) { try fixture.files.get("model.bin", to: fixture.folder.appending("out")) }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appending("out")), "no partial output")
    }

    @Test("pending files come highest priority first, as the seed's get_pending_sync_files")
    func pendingOrder() throws {
        let fixture = try FileStoreFixture()
        defer { fixture.folder.remove() }
        try fixture.files.put([1], as: "low", priority: 1)
        try fixture.files.put([2], as: "critical", priority: 10)
        try fixture.files.put([3], as: "mid", priority: 5)
        #expect(try fixture.files.pendingSync().map(\.name) == ["critical", "mid", "low"])
        let priorities = try fixture.store.read { db in
            try Int.fetchAll(
                db,
                sql: "SELECT priority FROM pending_sync WHERE table_name = 'files' ORDER BY priority DESC"
            )
        }
        #expect(priorities == [10, 5, 1], "each file's changes sync with its own priority")
    }
}

@Suite("File store memory", .serialized)
struct FileStoreMemoryTests {
    /// This process's resident set and its peak since the last reset, in bytes (Linux).
    static func memory() -> (resident: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return (Int(line.filter(\.isNumber)) ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    @Test("putting and getting a file far larger than the read buffer keeps memory bounded")
    func boundedMemory() throws {
        var configuration = FileStoreConfiguration()
        configuration.maximumFileSize = 256 << 20
        let fixture = try FileStoreFixture(configuration: configuration)
        defer { fixture.folder.remove() }
        let source = fixture.folder.appending("large.bin")
        FileManager.default.createFile(atPath: source, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: source))
        var block = FileStoreFixture.randomBytes(1 << 20, seed: 12)
        for index in 0..<32 {
            block[index % 4096] &+= 1
            handle.write(Data(block))
        }
        try handle.close()
        // Reset the peak (VmHWM) to the current resident set, then measure what put and get add.
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = Self.memory().resident
        let stored = try fixture.files.put(contentsOf: source, as: "large.bin")
        #expect(stored.size == 32 << 20)
        try fixture.files.get("large.bin", to: fixture.folder.appending("copy.bin"))
        let growth = Self.memory().peak - before
        #expect(growth < 16 << 20, "peak grew by \(growth >> 20) MiB for a 32 MiB file")
        let copy = try FileHandle(forReadingFrom: URL(fileURLWithPath: fixture.folder.appending("copy.bin")))
        defer { try? copy.close() }
        #expect(try copy.seekToEnd() == 32 << 20)
    }
}
