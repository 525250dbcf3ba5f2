import Foundation
import OutpostBlobs
import OutpostCore
import OutpostStore
import OutpostTesting
import Testing

/// The Cache Manager: content within a budget, least recently used out first, never content
/// the hub lacks or a pinned file's.
@Suite("File cache budget")
struct FileCacheTests {
    /// Three files of 64 KiB random content, all on the hub, put a, b, c in that order.
    func fixture() throws -> FileStoreFixture {
        let fixture = try FileStoreFixture()
        for (index, name) in ["a", "b", "c"].enumerated() {
            try fixture.files.put(FileStoreFixture.randomBytes(65_536, seed: UInt64(index + 1)), as: name)
        }
        try fixture.files.markOnHub(fixture.chunkHashes())
        return fixture
    }

    func onDisk(_ fixture: FileStoreFixture) throws -> Int64 {
        Int64(try fixture.files.statistics().storedBytes)
    }

    @Test("beyond the budget the least recently used content goes, until what is left fits")
    func leastRecentlyUsedFirst() throws {
        let fixture = try fixture()
        defer { fixture.folder.remove() }
        _ = try fixture.files.contents(of: "a")  // a is now the most recently used
        let total = try onDisk(fixture)
        try fixture.files.setCachePolicy(FileCachePolicy(budgetBytes: total / 2))
        let eviction = try fixture.files.enforceBudget()
        #expect(eviction.files == ["b", "c"], "b and c were never read; a was")
        #expect(eviction.bytesKept <= total / 2)
        #expect(try onDisk(fixture) == eviction.bytesKept)
        #expect(try fixture.files.file(named: "b")?.content == "remote")
        #expect(try fixture.files.contents(of: "a").count == 65_536, "what was kept still reads")
        #expect {
            try fixture.files.contents(of: "b")
        } throws: { error in
            (error as? OutpostError)?.remedy == .fetchFile(name: "b")
        }
        let statistics = try fixture.files.statistics()
        #expect(statistics.remoteFiles == 2 && statistics.budgetBytes == total / 2)
    }

    @Test("oldest first when asked; pinned content and content the hub lacks are never evicted")
    func pinsAndUnsentContent() throws {
        let fixture = try fixture()
        defer { fixture.folder.remove() }
        try fixture.files.put(FileStoreFixture.randomBytes(65_536, seed: 9), as: "unsent")
        try fixture.files.setPinned("a", true)
        try fixture.files.setCachePolicy(FileCachePolicy(budgetBytes: 0, evictBy: .oldest))
        let eviction = try fixture.files.enforceBudget()
        #expect(eviction.files == ["b", "c"])
        #expect(try fixture.files.file(named: "a")?.content == "local", "pinned")
        #expect(try fixture.files.contents(of: "unsent").count == 65_536, "the hub does not hold it yet")
    }

    @Test("a chunk another kept file uses stays")
    func sharedChunksStay() throws {
        let fixture = try fixture()
        defer { fixture.folder.remove() }
        try fixture.files.put(FileStoreFixture.randomBytes(65_536, seed: 1), as: "copy-of-a")
        try fixture.files.setPinned("copy-of-a", true)
        try fixture.files.setCachePolicy(FileCachePolicy(budgetBytes: 0))
        let eviction = try fixture.files.enforceBudget()
        #expect(eviction.files.sorted() == ["a", "b", "c"])
        #expect(try fixture.files.contents(of: "copy-of-a") == FileStoreFixture.randomBytes(65_536, seed: 1))
    }

    @Test("skip patterns: * within a segment, ** across segments, ? one character; and a priority floor")
    func skipPolicy() {
        let policy = FileCachePolicy(skipPatterns: ["videos/**", "*.raw", "logs/day-?.txt"], skipBelowPriority: 3)
        #expect(policy.skips(name: "videos/line-3/cam.mp4", priority: 5))
        #expect(policy.skips(name: "frame.raw", priority: 5))
        #expect(!policy.skips(name: "cams/frame.raw", priority: 5), "* stays within a segment")
        #expect(policy.skips(name: "logs/day-7.txt", priority: 5))
        #expect(!policy.skips(name: "logs/day-17.txt", priority: 5))
        #expect(policy.skips(name: "reports/x.csv", priority: 2))
        #expect(!policy.skips(name: "reports/x.csv", priority: 3))
    }
}
