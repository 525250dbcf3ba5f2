import Foundation
import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

@Suite("Store schema and pragmas")
struct StoreSchemaTests {
    @Test("the seed's tables, indexes, triggers and views exist")
    func seedSchemaExists() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let objects = try fixture.store.read { db in
            try Row.fetchAll(db, sql: "SELECT type, name FROM sqlite_master").map {
                "\($0["type"] as String):\($0["name"] as String)"
            }
        }
        for expected in [
            "table:agents", "table:workflows", "table:executions", "table:sync_queue", "table:conflict_resolution",
            "index:idx_agents_status", "index:idx_agents_sync_status", "index:idx_workflows_agent_id",
            "index:idx_executions_workflow_id", "index:idx_executions_status", "index:idx_conflict_status",
            "index:idx_sync_queue_pending_row",
            "trigger:update_agents_timestamp", "trigger:update_workflows_timestamp",
            "trigger:outpost_capture_agents_insert", "trigger:outpost_capture_workflows_update",
            "trigger:outpost_capture_executions_delete",
            "view:active_agents", "view:pending_sync", "view:conflict_summary",
        ] {
            #expect(objects.contains(expected), "missing \(expected)")
        }
        // The views run.
        try fixture.store.read { db in
            _ = try Row.fetchAll(db, sql: "SELECT * FROM active_agents")
            _ = try Row.fetchAll(db, sql: "SELECT * FROM pending_sync")
            _ = try Row.fetchAll(db, sql: "SELECT * FROM conflict_summary")
        }
    }

    @Test("the seed's pragmas are in force on every connection")
    func pragmasInForce() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        func check(_ db: Database) throws {
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA synchronous") == 1)
            #expect(try Int.fetchOne(db, sql: "PRAGMA cache_size") == 10000)
            #expect(try Int.fetchOne(db, sql: "PRAGMA temp_store") == 2)
            #expect(try Int.fetchOne(db, sql: "PRAGMA mmap_size") == 268_435_456)
            #expect(try Int.fetchOne(db, sql: "PRAGMA foreign_keys") == 1)
            #expect(try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2)
        }
        try fixture.store.write(check)
        try fixture.store.read(check)
    }

    @Test("reopening keeps the node id and the data; opening a missing store is refused")
    func reopens() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        let again = try Store(path: fixture.path)
        #expect(again.nodeID == fixture.store.nodeID)
        #expect(UUIDv7.isWellFormed(again.nodeID))
        #expect(try again.requireAgent(id: "a1").name == "A")
        #expect(throws: OutpostError.self) { try Store(path: fixture.folder.appending("missing.sqlite")) }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appending("missing.sqlite")))
    }

    @Test("a store a newer Outpost upgraded is refused by name, and left as it was")
    func refusesNewerStore() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        try fixture.store.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        }
        let before = try fixture.snapshot()
        #expect {
            _ = try Store(path: fixture.path)
        } throws: { error in
            let message = "\(error)"
            return (error as? OutpostError)?.code == .failedPrecondition && message.contains("'v99: from the future'")
                && message.contains("newer Outpost")
        }
        #expect(try fixture.snapshot() == before, "nothing changed")

        try fixture.store.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v99: from the future'")
        }
        #expect(try Store(path: fixture.path).requireAgent(id: "a1").name == "A")
    }

    @Test("a file that is not SQLite is refused with a clear message")
    func refusesGarbage() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.appending("store.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try Store(path: path)
        } throws: { error in
            (error as? OutpostError)?.code == .storage && "\(error)".contains("not a healthy SQLite store")
        }
    }
}
