import Foundation
import GRDB
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync
import Testing

/// Seeded schema-churn property test (issue 14): three nodes add the same columns at random
/// times while they write and sync at random. A node that lacks a column must never wipe the
/// values others wrote into it. Once every node has every column and all have synced, every
/// cell anyone wrote holds one of the values written to it (the only writer's last one when a
/// single node wrote it), and every node and a fresh node hold the same rows.
@Suite("Sync: no value is lost while schemas change", .serialized)
struct SchemaChurnPropertyTests {
    static let keys = (0..<5).map { "k\($0)" }
    static let added = ["c1", "c2", "c3", "c4"]

    static func contents(_ node: TestNode) throws -> [String: [String: String?]] {
        try node.store.read { db in
            var rows: [String: [String: String?]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM items") {
                var cells: [String: String?] = [:]
                for column in ["c0"] + added { cells[column] = row[column] as String? }
                rows[row["id"]] = cells
            }
            return rows
        }
    }

    /// The columns `node`'s table has now.
    static func columns(_ node: TestNode) throws -> Set<String> {
        Set(try node.store.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('items')") })
    }

    @Test(
        "columns added at random while three nodes write: no written value is lost, with and without auto-add",
        arguments: SyncBackend.allCases.flatMap { backend in
            [(UInt64(11), false), (12, false), (13, true), (14, true)].map { (backend, $0.0, $0.1) }
        }
    )
    func noValueLost(backend: SyncBackend, seed: UInt64, autoAdd: Bool) async throws {
        var rules = RulesConfiguration.defaults
        rules.entities["items"] = EntityRules(strategy: .auto, rules: [Rule(field: "*", action: .newest)])
        let cluster = try await SyncCluster(backend, nodes: 3, rules: rules)
        let nodes = cluster.nodes
        for node in nodes {
            try node.execute("CREATE TABLE items (id TEXT PRIMARY KEY, c0 TEXT)")
            try node.store.track("items")
            // Off: a node's table lacks columns until it adds them itself, and their values
            // wait in its base rows. On: a pull may add them first.
            try node.store.setAddsHubColumns(autoAdd)
        }
        for key in Self.keys { try nodes[0].execute("INSERT INTO items VALUES (?, 'initial')", [key]) }
        try await cluster.syncAll()

        var random = SplitMix64(seed: seed)
        /// Every value written to each cell, by which node, in order.
        var written: [String: [(node: Int, value: String)]] = [:]
        /// Adds the first column of ``added`` the node's table lacks; false when it has them all.
        @discardableResult
        func addColumn(_ index: Int) throws -> Bool {
            let present = try Self.columns(nodes[index])
            guard let column = Self.added.first(where: { !present.contains($0) }) else { return false }
            try nodes[index].execute("ALTER TABLE items ADD COLUMN \(column) TEXT")
            return true
        }
        for step in 0..<90 {
            let index = Int(random.next() % 3)
            let roll = random.next() % 10
            switch roll {
            case 0...1 where try Self.columns(nodes[index]).count < Self.added.count + 2:
                try addColumn(index)
            case 0...6:
                let present = try Self.columns(nodes[index])
                let columns = ["c0"] + Self.added.filter(present.contains)
                let column = columns[Int(random.next() % UInt64(columns.count))]
                let key = Self.keys[Int(random.next() % UInt64(Self.keys.count))]
                let value = "n\(index)s\(step)"
                try nodes[index].execute("UPDATE items SET \(column) = ? WHERE id = ?", [value, key])
                written["\(key).\(column)", default: []].append((index, value))
            default:
                try await nodes[index].sync()
            }
        }
        for index in nodes.indices {
            while try addColumn(index) {}
        }
        for _ in 0..<2 { try await cluster.syncAll() }

        let fresh = try await cluster.addNode(name: "fresh", rules: rules)
        try fresh.execute("CREATE TABLE items (id TEXT PRIMARY KEY, c0 TEXT, c1 TEXT, c2 TEXT, c3 TEXT, c4 TEXT)")
        try fresh.store.track("items")
        try await fresh.sync()

        let final = try Self.contents(nodes[0])
        for node in nodes + [fresh] {
            #expect(
                try Self.contents(node) == final,
                "seed \(seed), auto-add \(autoAdd): every node holds the same rows"
            )
        }
        for (cell, writes) in written {
            let parts = cell.split(separator: ".").map(String.init)
            let value = final[parts[0]]?[parts[1]] ?? nil
            #expect(
                writes.contains { $0.value == value },
                "seed \(seed), auto-add \(autoAdd): \(cell) holds \(value ?? "NULL"), not one of the values written to it: \(writes)"
            )
            if Set(writes.map(\.node)).count == 1 {
                #expect(
                    value == writes.last?.value,
                    "seed \(seed), auto-add \(autoAdd): \(cell) lost its only writer's last value"
                )
            }
        }
        for node in nodes + [fresh] {
            #expect(try await node.engine.verify(tables: ["items"]).unexplained == 0)
        }
    }
}
