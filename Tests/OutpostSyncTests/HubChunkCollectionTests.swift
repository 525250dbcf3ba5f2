import Foundation
import GRDB
import OutpostBlobs
import OutpostCore
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// The hub collects file chunks no live file reaches once they have waited a lease, keeps every
/// chunk a live file reaches, and never lets a `files` row through without its content.
@Suite("Hub: chunk collection")
struct HubChunkCollectionTests {
    private struct Report: Decodable {
        var chunks: Int
        var chunkBytes: Int64
        var chunksWaiting: Int
        var tenantsSkipped: [String]

        enum CodingKeys: String, CodingKey {
            case chunks
            case chunkBytes = "chunk_bytes"
            case chunksWaiting = "chunks_waiting"
            case tenantsSkipped = "tenants_skipped"
        }
    }

    /// The cluster's tenant's chunks on the hub, and those of them waiting to be collected.
    private func counts(_ cluster: SyncCluster) async throws -> (stored: Int, waiting: Int) {
        (
            try await cluster.countOnHub("SELECT count(*) FROM outpost_chunks WHERE \(cluster.tenantCondition)"),
            try await cluster.countOnHub("SELECT count(*) FROM outpost_chunk_orphans WHERE \(cluster.tenantCondition)")
        )
    }

    /// Runs `hub gc`. On PostgreSQL other tests' tenants share the database, so its report's
    /// totals are only checked on SQLite; the tenant's own counts are checked on both.
    private func collect(_ cluster: SyncCluster) async throws -> Report {
        let text = try await SyncCluster.outpost(["hub", "gc", "--lease-days", "1", "--json"] + cluster.hubArguments)
        return try JSONDecoder().decode(Report.self, from: Data(text.utf8))
    }

    @Test(
        "chunks of a deleted file go after waiting a lease; a live file's stay; the same content put again is uploaded again",
        arguments: SyncBackend.allCases
    )
    func collectsOnlyUnreachedChunks(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 3)
        let (a, b, c) = (cluster.nodes[0], cluster.nodes[1], cluster.nodes[2])
        let kept = FileSyncTests.random(300_000, seed: 31)
        let dropped = FileSyncTests.random(300_000, seed: 32)
        try a.files.put(kept, as: "kept.bin")
        try a.files.put(dropped, as: "dropped.bin")
        try await a.sync()
        try await b.sync()
        #expect(try b.files.contents(of: "dropped.bin") == dropped)

        // Deleted on A (trash, then emptied): the hub keeps a tombstone, and its chunks wait.
        _ = try a.files.remove("dropped.bin")
        _ = try a.files.collectGarbage(trashOlderThanDays: 0)
        try await a.sync()
        let stored = try await counts(cluster).stored
        let first = try await collect(cluster)
        let waiting = try await counts(cluster).waiting
        #expect(try await counts(cluster).stored == stored, "nothing goes before it has waited a lease")
        #expect(waiting > 10, "the deleted file's chunks wait: \(waiting)")
        // Only this tenant: on PostgreSQL another test's tenant may be mid-upload (a live file
        // whose chunks are not all there yet), which the collection rightly skips.
        #expect(!first.tenantsSkipped.contains(cluster.tenant))
        if backend == .sqlite { #expect(first.chunks == 0 && first.chunksWaiting == waiting) }

        // On PostgreSQL another test's `hub gc` may read this tenant's files from before the
        // delete and mark its chunks reached again, which only delays their collection: age the
        // waiting chunks and collect until they go (once, on SQLite, where no one else collects).
        var second: Report?
        for _ in 0..<5 {
            try await cluster.executeOnHub(
                "UPDATE outpost_chunk_orphans SET since = '1970-01-01 00:00:00' WHERE \(cluster.tenantCondition)"
            )
            second = try await collect(cluster)
            if try await counts(cluster) == (stored - waiting, 0) { break }
        }
        #expect(try await counts(cluster) == (stored - waiting, 0), "every waiting chunk went, and only those")
        if backend == .sqlite, let second {
            #expect(second.chunks == waiting && second.chunksWaiting == 0)
            #expect(second.chunkBytes > 250_000, "\(second.chunkBytes) bytes")
        }

        // A node that never saw either file gets the live one whole.
        try await c.sync()
        #expect(try c.files.contents(of: "kept.bin") == kept)
        #expect(try c.files.file(named: "dropped.bin") == nil)

        // A still believes the hub holds the dropped content: the hub refuses the row until
        // A has uploaded it again, and C can read it.
        try a.files.put(dropped, as: "again.bin")
        let again = try await a.sync()
        #expect(again.pushed == 1 && again.failed == 0, "\(again)")
        #expect(again.chunksSent > 10, "the collected chunks were uploaded again: \(again.chunksSent)")
        try await c.sync()
        #expect(try c.files.contents(of: "again.bin") == dropped)
        // On PostgreSQL another test's `hub gc` may read this tenant between the upload of the
        // chunks and the push of their row, and mark them waiting after this test's collection;
        // the next collection that sees the row clears them (once, on SQLite).
        var waitingAfter = -1
        for _ in 0..<5 {
            _ = try await collect(cluster)
            waitingAfter = try await counts(cluster).waiting
            if waitingAfter == 0 || backend == .sqlite { break }
        }
        #expect(waitingAfter == 0, "the content put again is reached, so nothing waits")
    }

    @Test(
        "a files row naming chunks the hub never received is refused, and the node keeps it",
        arguments: SyncBackend.allCases
    )
    func rowWithoutContentIsRefused(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        // A row written as another SQLite client would: its chunks exist nowhere.
        let missing = String(repeating: "ab", count: 32)
        try a.execute(
            "INSERT INTO files (name, size, hash, modified, chunks) VALUES ('ghost.bin', 10, ?, 0, ?)",
            [missing, "[\"\(missing)\"]"]
        )
        let report = try await a.sync()
        #expect(report.failed == 1)
        let failed = try a.store.queueEntries(status: .failed)
        #expect(failed.map(\.key) == ["ghost.bin"])
        #expect(failed.first?.error?.contains("missing_chunks") == true, "\(failed)")
        try await b.sync()
        #expect(try b.files.file(named: "ghost.bin") == nil, "no row without content reaches other nodes")
    }
}
