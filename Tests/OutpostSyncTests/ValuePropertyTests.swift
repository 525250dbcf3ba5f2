import Foundation
import GRDB
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync
import Testing

/// Seeded property test for values (issue 14): a wide table with every SQLite storage class gets
/// random edge-case values on three nodes that go offline at random; once all have synced, every
/// node, and a fresh node that pulls everything from the hub, holds the same `typeof` and value in
/// every column.
@Suite("Sync: every storage class survives random edits", .serialized)
struct ValuePropertyTests {
    static let columns = ["i", "r", "t", "b", "u1", "u2"]

    /// A random value of the column's kind, edge cases often.
    static func value(for column: String, _ random: inout SplitMix64) -> DatabaseValue {
        func integer() -> DatabaseValue {
            [Int64.max, Int64.min, 0, -1, Int64(bitPattern: random.next())][Int(random.next() % 5)].databaseValue
        }
        func real() -> DatabaseValue {
            [1.0, 1e300, -2.5, 0.1, Double(Int64(bitPattern: random.next())) / 7][Int(random.next() % 5)].databaseValue
        }
        func text() -> DatabaseValue {
            ["", "zażółć 🧭", "{\"$blob\": \"AA==\"}", "123", "t\(random.next() % 1000)"][Int(random.next() % 5)]
                .databaseValue
        }
        func blob() -> DatabaseValue {
            let sizes = [0, 1, 3, 700, 5000]
            return Data(random.bytes(sizes[Int(random.next() % UInt64(sizes.count))])).databaseValue
        }
        if random.next() % 8 == 0 { return .null }
        switch column {
        case "i": return integer()
        case "r": return real()
        case "t": return text()
        case "b": return blob()
        default:
            switch random.next() % 4 {
            case 0: return integer()
            case 1: return real()
            case 2: return text()
            default: return blob()
            }
        }
    }

    static func contents(_ node: TestNode) throws -> [String] {
        try node.store.read { db in
            let expressions = columns.map { "typeof(\($0)) || ':' || quote(\($0))" }.joined(separator: " || ' | ' || ")
            return try String.fetchAll(db, sql: "SELECT id || ' ' || \(expressions) FROM wide ORDER BY id")
        }
    }

    @Test(
        "random values on three nodes with random offline periods: typeof and value equal everywhere",
        arguments: SyncBackend.allCases.flatMap { backend in [UInt64(1), 2, 3].map { (backend, $0) } }
    )
    func valuesSurvive(backend: SyncBackend, seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        // The newer write wins each collision, so the nodes converge without a person.
        var rules = RulesConfiguration.defaults
        rules.entities["wide"] = EntityRules(strategy: .auto, rules: [Rule(field: "*", action: .newest)])
        let cluster = try await SyncCluster(backend, nodes: 3, rules: rules)
        let schema = "CREATE TABLE wide (id TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, u1, u2)"
        for node in cluster.nodes {
            try node.execute(schema)
            try node.store.track("wide")
        }
        let keys = (0..<6).map { "k\($0)" }
        for _ in 0..<10 {
            for node in cluster.nodes {
                for _ in 0..<Int(random.next() % 4) {
                    let key = keys[Int(random.next() % UInt64(keys.count))]
                    let chosen = Self.columns.filter { _ in random.next() % 2 == 0 }
                    let values = chosen.map { Self.value(for: $0, &random) }
                    if random.next() % 10 == 0 {
                        try node.execute("DELETE FROM wide WHERE id = ?", [key])
                    } else if chosen.isEmpty {
                        try node.execute("INSERT INTO wide (id) VALUES (?) ON CONFLICT (id) DO NOTHING", [key])
                    } else {
                        let names = chosen.joined(separator: ", ")
                        let marks = chosen.map { _ in "?" }.joined(separator: ", ")
                        let updates = chosen.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
                        try node.execute(
                            "INSERT INTO wide (id, \(names)) VALUES (?, \(marks)) ON CONFLICT (id) DO UPDATE SET \(updates)",
                            StatementArguments([key.databaseValue] + values)
                        )
                    }
                }
            }
            // Each node is online this round or not; the online ones sync in a random order.
            for node in cluster.nodes.shuffled(using: &random) where random.next() % 3 != 0 {
                try await node.sync()
            }
        }
        try await cluster.syncAll()
        let expected = try Self.contents(cluster.nodes[0])
        for node in cluster.nodes.dropFirst() {
            #expect(try Self.contents(node) == expected)
        }
        for node in cluster.nodes {
            #expect(try node.store.conflicts(status: .pending).isEmpty)
        }
        // What the hub holds: a new node pulls it all.
        let fresh = try await cluster.addNode(name: "fresh", rules: rules)
        try fresh.execute(schema)
        try fresh.store.track("wide")
        try await fresh.sync()
        #expect(try Self.contents(fresh) == expected)
    }
}
