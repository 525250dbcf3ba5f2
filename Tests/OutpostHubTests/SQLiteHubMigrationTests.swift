import Foundation
import GRDB
import Logging
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

@testable import OutpostHub

/// A SQLite hub's database made by an earlier version keeps what it holds through migrations.
@Suite("Hub: SQLite migrations keep the data")
struct SQLiteHubMigrationTests {
    @Test("chunks stored in the WITHOUT ROWID table before v14 are served after it, from a rowid table")
    func chunksMoveToRowidTable() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-hub-v14")
        defer { folder.remove() }
        let path = folder.appending("hub.sqlite")
        let tenant = "0193a6c2-7d1e-7c3a-9b1e-3f2a1c4d5e6f"
        let payloads = (0..<3).map { index in (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* (index + 7)) } }
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteHubStorage.migrator.migrate(queue, upTo: "v13: the push priority a node gave each row's change")
            try await queue.write { db in
                for (index, payload) in payloads.enumerated() {
                    try db.execute(
                        sql: "INSERT INTO outpost_chunks (tenant_id, hash, flags, data) VALUES (?, ?, ?, ?)",
                        arguments: [tenant, "h\(index)", index, Data(payload)]
                    )
                }
            }
        }

        let storage = try SQLiteHubStorage(path: path)
        try await storage.migrate()
        let frames = try await storage.chunks(tenantID: tenant, hashes: ["h0", "h1", "h2"], maximumBytes: 1 << 20)
        #expect(frames.map(\.hash) == ["h0", "h1", "h2"])
        #expect(frames.map(\.payload) == payloads)
        #expect(frames.map(\.flags) == [0, 1, 2])
        #expect(try await storage.missingChunks(tenantID: tenant, hashes: ["h1", "h9"]) == ["h9"])
        let table = try await storage.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'outpost_chunks'")
        }
        #expect(table?.contains("WITHOUT ROWID") == false, "\(table ?? "no table")")
        #expect(try await storage.storeChunks(tenantID: tenant, [ChunkFrame(hash: "h1", flags: 1, payload: [1])]) == 0)
    }
}
