import Foundation
import GRDB
import NIOCore
import OutpostCore
import OutpostStore
import OutpostSync
import Testing

/// A pulled page takes a short way in when the node has no local work (``CleanRowWriter``) and
/// goes through the reconciler row by row otherwise. Both must leave the same node behind:
/// the same rows, the same seed bookkeeping and the same base rows (the next merge's input).
@Suite("Sync: the quick pull and the reconciler leave the same node")
struct PullPathEquivalenceTests {
    static let schemas = [
        "CREATE TABLE wide (id TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, u)",
        "CREATE TABLE pairs (a TEXT, b INTEGER, note TEXT, PRIMARY KEY (a, b))",
        "CREATE TABLE tags (name TEXT PRIMARY KEY)",
        // Not synced anywhere: a row here is the local work that sends a node the long way.
        "CREATE TABLE scratch (id TEXT PRIMARY KEY, v TEXT)",
    ]

    /// Every table's rows as SQLite quotes them (`last_sync` as whether it is set: a clock
    /// value), then the base rows.
    static func state(of node: TestNode) throws -> [String] {
        try node.store.read { db in
            var lines: [String] = []
            for (table, order) in [("agents", "id"), ("wide", "id"), ("pairs", "a, b"), ("tags", "name")] {
                let columns = try db.columns(in: table).map(\.name)
                let shown = columns.map {
                    $0 == "last_sync" ? "(last_sync IS NOT NULL)" : "quote(\(quoteIdentifier($0)))"
                }
                lines += try String.fetchAll(
                    db,
                    sql:
                        "SELECT '\(table): ' || \(shown.joined(separator: " || ' | ' || ")) FROM \(table) ORDER BY \(order)"
                )
            }
            lines += try String.fetchAll(
                db,
                sql: """
                    SELECT table_name || ' ' || record_id || ' v' || version || ' ' || quote(data) || ' ' || hlc
                        || ' ' || origin || ' e' || seen_epoch
                    FROM outpost_sync_rows ORDER BY table_name, record_id
                    """
            )
            return lines
        }
    }

    static func prepare(_ node: TestNode) throws {
        for schema in schemas { try node.execute(schema) }
        for table in ["wide", "pairs", "tags", "scratch"] { try node.store.track(table) }
    }

    @Test("inserts, updates, deletes, composite and key-only keys, blobs and the seed's sync_status")
    func samePaths() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 3)
        let (writer, quick, long) = (cluster.nodes[0], cluster.nodes[1], cluster.nodes[2])
        for node in cluster.nodes { try Self.prepare(node) }
        for index in 0..<40 {
            try writer.execute(
                "INSERT INTO wide (id, i, r, t, b, u) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    "w\(index)", index, Double(index) / 3, index % 5 == 0 ? nil : "text \(index)",
                    Data([UInt8(index), 0, 255]), index % 2 == 0 ? "\(index)" : nil,
                ]
            )
            try writer.execute("INSERT INTO pairs (a, b, note) VALUES (?, ?, ?)", ["p\(index % 4)", index, "n"])
            try writer.execute("INSERT INTO tags (name) VALUES (?)", ["tag\(index)"])
            try writer.execute(
                "INSERT INTO agents (id, name, type, status) VALUES (?, ?, 'x', 'active')",
                ["a\(index)", "agent \(index)"]
            )
        }
        try await writer.sync()
        // The long way: local work the hub does not have yet, kept through both pulls.
        try long.execute("INSERT INTO scratch (id, v) VALUES ('s1', 'mine')")
        _ = try await quick.engine.pull()
        _ = try await long.engine.pull()
        #expect(try long.queueCount(status: "pending") == 1, "the long way was taken")
        #expect(try Self.state(of: quick) == Self.state(of: long))
        let rows = try await quick.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM wide") }
        #expect(rows == 40)

        // Updates of rows the nodes hold, deletions, and rows made again after deletion.
        try writer.execute("UPDATE wide SET t = 'changed', b = NULL WHERE id IN ('w1', 'w2', 'w3')")
        try writer.execute("DELETE FROM wide WHERE id IN ('w4', 'w5')")
        try writer.execute("DELETE FROM pairs WHERE a = 'p1'")
        try writer.execute("DELETE FROM tags WHERE name = 'tag7'")
        try writer.execute("UPDATE agents SET status = 'inactive' WHERE id = 'a3'")
        try writer.execute("DELETE FROM agents WHERE id = 'a4'")
        try await writer.sync()
        try writer.execute("INSERT INTO wide (id, t) VALUES ('w4', 'again')")
        try writer.execute("INSERT INTO tags (name) VALUES ('tag7')")
        try await writer.sync()
        _ = try await quick.engine.pull()
        _ = try await long.engine.pull()
        #expect(try Self.state(of: quick) == Self.state(of: long))
        let synced = try await quick.store.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT sync_status FROM agents")
        }
        #expect(synced == ["synced"])
        #expect(try quick.syncedContents() == writer.syncedContents())
    }
}

extension PullPathEquivalenceTests {
    /// The short way holds rows for a statement of a hundred and reads a page's versions before
    /// writing it; a row met twice in one page must still see its first copy as written.
    @Test(
        "a page holding a row twice, the older copy second (a broken or hostile hub), keeps the newer: row and base agree",
        arguments: SyncBackend.allCases
    )
    func rowTwiceInAPage(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('k', 'first', 'x'), ('other', 'o', 'x')")
        try await a.sync()
        try a.execute("UPDATE agents SET name = 'second' WHERE id = 'k'")
        try await a.sync()
        try b.interpose { RowRepeatingLink(inner: $0, key: "k") }
        try await b.sync()
        let seen = try await b.store.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT a.name, s.version FROM agents a
                    JOIN outpost_sync_rows s ON s.table_name = 'agents' AND s.record_id = a.id WHERE a.id = 'k'
                    """
            ).map { "\($0[0] as String) v\($0[1] as Int64)" }
        }
        #expect(seen == "second v2")
        #expect(try b.syncedContents() == a.syncedContents())
    }
}

/// Passes requests to the hub and repeats the row `key` of every pulled page after itself, as
/// its version 1 with the name `first`: the older copy a hub must never send after the newer.
private struct RowRepeatingLink: HubTransport {
    let inner: any HubTransport
    let key: String

    func send(_ request: HubTransportRequest) async throws(SyncFailure) -> HubTransportAnswer {
        var request = request
        guard request.path.hasPrefix("/v1/pull") else { return try await inner.send(request) }
        // Plain JSON back, to edit.
        request.headers.removeAll { $0.name.lowercased() == "accept-encoding" }
        var answer = try await inner.send(request)
        guard answer.status == 200, case .object(var page)? = try? JSONValue(parsing: String(buffer: answer.body)),
            case .array(var rows)? = page["rows"]
        else { return answer }
        for case .object(var row) in rows where row["key"] == .string(key) {
            row["version"] = 1
            row["data"] = ["id": .string(key), "name": "first", "type": "x"]
            rows.append(.object(row))
        }
        page["rows"] = .array(rows)
        answer.body = ByteBuffer(string: JSONValue.object(page).encoded())
        answer.headers.removeAll { $0.name.lowercased() == "content-length" }
        return answer
    }
}

extension PullPathEquivalenceTests {
    /// The short way passes over a version the node holds (it reads each row's base version
    /// first): the node's own rows coming back after its push must neither be written again nor
    /// count as pulled.
    @Test(
        "a node's own rows coming back after its push are not written again and count as nothing pulled",
        arguments: SyncBackend.allCases
    )
    func ownRowsPassedOver(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute(
            """
            CREATE TABLE name_writes (id TEXT);
            CREATE TRIGGER agents_name_written AFTER UPDATE OF name ON agents
            BEGIN INSERT INTO name_writes VALUES (new.id); END;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
            INSERT INTO agents (id, name, type) SELECT printf('a%03d', i), 'agent ' || i, 'x' FROM n;
            """
        )
        let first = try await a.sync()
        #expect(first.pushed == 150 && first.pulled == 0, "\(first)")
        try b.execute("INSERT INTO agents (id, name, type) VALUES ('b1', 'from B', 'x'), ('b2', 'from B', 'x')")
        try await b.sync()
        let second = try await a.sync()
        #expect(second.pulled == 2, "\(second)")
        let rewritten = try await a.store.read { db in try String.fetchAll(db, sql: "SELECT id FROM name_writes") }
        #expect(rewritten.isEmpty, "rows the node already held were written again: \(rewritten.prefix(5))")
        #expect(try b.syncedContents() == a.syncedContents())
    }
}
