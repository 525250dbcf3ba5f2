import Foundation
import GRDB
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostStore

@Suite("Change capture")
struct CaptureTests {
    @Test("inserts, updates and deletes through the Swift API land in sync_queue with a stamp")
    func capturesSwiftAPI() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        var queue = try fixture.queue()
        #expect(queue.map(\.operation) == ["INSERT"])
        #expect(queue[0].table == "agents" && queue[0].record == "a1" && queue[0].priority == 5)
        #expect(queue[0].status == "pending")
        let stamp = HybridTimestamp(packed: queue[0].hlc, node: fixture.store.nodeID)
        #expect(abs(Int64(stamp.milliseconds) - Int64(WallClock.milliseconds())) < 60_000)

        // Mark it pushed, then update: a new pending entry.
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
        }
        try fixture.store.updateAgent(id: "a1", AgentChanges(status: "active"))
        queue = try fixture.queue()
        #expect(queue.map(\.operation) == ["INSERT", "UPDATE"])
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
        }
        try fixture.store.removeAgent(id: "a1")
        queue = try fixture.queue()
        #expect(queue.last?.operation == "DELETE")
        #expect(queue.last?.status == "pending")
    }

    @Test("writes from a plain SQLite connection with no Outpost code are captured")
    func capturesPlainConnection() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        // A bare GRDB queue with default configuration: no custom functions, no Outpost setup.
        let plain = try DatabaseQueue(path: fixture.path)
        try plain.write { db in
            try db.execute(sql: "INSERT INTO agents (id, name, type, status) VALUES ('p1', 'Plain', 'x', 'critical')")
            try db.execute(sql: "INSERT INTO workflows (id, name, agent_id) VALUES ('w1', 'W', 'p1')")
            try db.execute(sql: "DELETE FROM workflows WHERE id = 'w1'")
        }
        try plain.close()
        let queue = try fixture.queue()
        #expect(queue.contains { $0.record == "p1" && $0.operation == "INSERT" && $0.priority == 10 })
        #expect(queue.contains { $0.record == "w1" && $0.operation == "DELETE" })
    }

    @Test("repeated edits of a row before a push coalesce into one pending entry")
    func coalesces() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        for index in 0..<5 { try fixture.store.updateAgent(id: "a1", AgentChanges(name: "A\(index)")) }
        var queue = try fixture.queue()
        #expect(queue.count == 1)
        #expect(queue[0].operation == "INSERT")

        // A critical edit raises the entry's priority; later normal edits keep it raised.
        try fixture.store.updateAgent(id: "a1", AgentChanges(status: "critical"))
        try fixture.store.updateAgent(id: "a1", AgentChanges(status: "active"))
        queue = try fixture.queue()
        #expect(queue.count == 1 && queue[0].priority == 10)

        // Insert then delete before any push: one entry, a delete.
        _ = try fixture.store.addAgent(id: "a2", name: "B", type: "t")
        try fixture.store.removeAgent(id: "a2")
        queue = try fixture.queue()
        #expect(queue.filter { $0.record == "a2" }.map(\.operation) == ["DELETE"])
    }

    @Test("a coalesced entry's stamp only grows")
    func stampsGrow() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        var previous = try fixture.queue()[0].hlc
        for index in 0..<20 {
            try fixture.store.updateAgent(id: "a1", AgentChanges(name: "A\(index)"))
            let current = try fixture.queue()[0].hlc
            #expect(current > previous)
            previous = current
        }
    }

    @Test("a stamp is above the clock floor, even when the wall clock is behind it")
    func stampsRespectFloor() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let future = HybridTimestamp(milliseconds: WallClock.milliseconds() + 3_600_000, counter: 7, node: "x").packed
        try fixture.store.write { db in try db.execute(sql: "UPDATE outpost_clock SET hlc = ?", arguments: [future]) }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        #expect(try fixture.queue()[0].hlc == future + 1)
    }

    @Test("rows written without capture do not echo, while other connections are still captured")
    func guardIsInvisibleToOthers() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.writeWithoutCapture { db in
            try db.execute(
                sql:
                    "INSERT INTO agents (id, name, type, updated_at) VALUES ('remote', 'R', 't', '2020-01-01 00:00:00')"
            )
            try db.execute(sql: "UPDATE agents SET name = 'R2' WHERE id = 'remote'")
        }
        #expect(try fixture.queue().isEmpty)
        // The hub's timestamp is kept: the updated_at trigger skips applied rows.
        #expect(try fixture.store.requireAgent(id: "remote").updatedAt == "2020-01-01 00:00:00")
        let other = try DatabaseQueue(path: fixture.path)
        try other.write { db in try db.execute(sql: "INSERT INTO agents (id, name, type) VALUES ('local', 'L', 't')") }
        try other.close()
        #expect(try fixture.queue().map(\.record) == ["local"])
    }

    @Test("updating only local bookkeeping columns is not captured")
    func localColumnsNotCaptured() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        _ = try fixture.store.addAgent(id: "a1", name: "A", type: "t")
        try fixture.store.write { db in
            try Outbox(db).fold()
            try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
        }
        try fixture.store.write { db in
            try db.execute(
                sql: "UPDATE agents SET sync_status = 'synced', last_sync = CURRENT_TIMESTAMP WHERE id = 'a1'"
            )
        }
        #expect(try fixture.queue().filter { $0.status == "pending" }.isEmpty)
    }

    @Test("the seed's updated_at trigger stamps edits")
    func updatedAtTrigger() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        try fixture.store.write { db in
            try db.execute(
                sql: "INSERT INTO agents (id, name, type, updated_at) VALUES ('a1', 'A', 't', '2000-01-01 00:00:00')"
            )
            try db.execute(sql: "UPDATE agents SET name = 'B' WHERE id = 'a1'")
        }
        #expect(try fixture.store.requireAgent(id: "a1").updatedAt != "2000-01-01 00:00:00")
    }

    @Test("names and literals are quoted with their own quote marks doubled, other text untouched")
    func quoting() throws {
        #expect(quoteIdentifier("agents") == #""agents""#)
        #expect(quoteIdentifier(#"we"ird "name"#) == #""we""ird ""name""#)
        #expect(quoteLiteral("it's 'é'") == "'it''s ''é'''")
        #expect(quoteLiteral(#"say "hi""#) == #"'say "hi"'"#)
        #expect(quoteIdentifier("") == #""""#)
        // A quoted name works as one in SQLite, whatever it holds.
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let name = #"t"; DROP TABLE agents; --"#
        try fixture.store.write { db in
            try db.execute(sql: "CREATE TABLE \(quoteIdentifier(name)) (v TEXT)")
            try db.execute(sql: "INSERT INTO \(quoteIdentifier(name)) VALUES (\(quoteLiteral("a'b")))")
        }
        let value = try fixture.store.read { db in
            try String.fetchOne(db, sql: "SELECT v FROM \(quoteIdentifier(name))")
        }
        #expect(value == "a'b")
        #expect(try fixture.store.read { db in try db.tableExists("agents") })
    }
}
