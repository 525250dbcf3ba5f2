import Foundation
import GRDB
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// Seeded property test: several nodes make random writes while offline for random stretches
/// and sync in random order; once everyone has synced, every table is equal everywhere.
@Suite("Sync: random offline writes converge", .serialized)
struct RandomConvergenceTests {
    /// Deterministic randomness, so a failing seed can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(
        "three nodes, random writes and offline periods, all tables equal after a full sync",
        arguments: Array(1...8) as [UInt64]
    )
    func randomWritesConverge(seed: UInt64) async throws {
        var random = SeededGenerator(state: seed)
        let cluster = try await SyncCluster(.sqlite, nodes: 3)
        for node in cluster.nodes {
            try node.execute("CREATE TABLE items (id TEXT PRIMARY KEY, count INTEGER, label TEXT, note TEXT)")
            try node.store.track("items")
        }
        let keys = (0..<8).map { "k\($0)" }
        for _ in 0..<12 {
            // A round: each node online or not, a few writes each, then the online ones sync
            // in a random order.
            for node in cluster.nodes {
                for _ in 0..<Int.random(in: 0...4, using: &random) {
                    let key = keys.randomElement(using: &random)!
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0..<4:
                        try node.execute(
                            "INSERT INTO items (id, count, label) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET count = excluded.count",
                            [key, Int.random(in: 0..<100, using: &random), "l\(Int.random(in: 0..<5, using: &random))"]
                        )
                    case 4..<6:
                        try node.execute(
                            "UPDATE items SET label = ? WHERE id = ?",
                            ["l\(Int.random(in: 0..<5, using: &random))", key]
                        )
                    case 6..<8:
                        try node.execute(
                            "UPDATE items SET note = ?, count = count + 1 WHERE id = ?",
                            ["n\(Int.random(in: 0..<5, using: &random))", key]
                        )
                    case 8:
                        try node.execute("DELETE FROM items WHERE id = ?", [key])
                    default:
                        try node.execute(
                            "INSERT OR REPLACE INTO agents (id, name, type) VALUES (?, ?, 'x')",
                            [key, "a\(Int.random(in: 0..<5, using: &random))"]
                        )
                    }
                }
            }
            for node in cluster.nodes.shuffled(using: &random) where Bool.random(using: &random) {
                try await node.sync()
            }
        }
        // Everyone syncs; conflicts the rules leave to a person are decided (keeping the
        // node's side), and everyone syncs again, until nothing waits.
        try await cluster.syncUntilSettled()
        // A node that only pulls holds exactly what the hub holds.
        let observer = try await cluster.addNode(name: "observer")
        try await observer.sync()
        let reference = try observer.syncedContents()
        for node in cluster.nodes.dropLast() {
            let contents = try node.syncedContents()
            let differing = reference.keys.filter { reference[$0] != contents[$0] }.map {
                "\($0): \(reference[$0] ?? []) vs \(contents[$0] ?? [])"
            }
            #expect(differing.isEmpty, "seed \(seed): \(differing.joined(separator: "; "))")
        }
        for node in cluster.nodes {
            let pending = try node.store.queueEntries(status: nil).map { "\($0.table)/\($0.key) \($0.status)" }
            #expect(pending.isEmpty, "seed \(seed): nothing left to push \(node.home) \(pending)")
        }
    }
}

extension RandomConvergenceTests {
    @Test(
        "nodes in different scopes, random writes, moves and offline periods: each holds what its scope shows",
        arguments: SyncBackend.allCases,
        Array(1...4) as [UInt64]
    )
    func scopedWritesConverge(backend: SyncBackend, seed: UInt64) async throws {
        var random = SeededGenerator(state: seed &* 7919)
        let cluster = try await SyncCluster(backend, nodes: 3)
        let sites = [["a"], ["b"], ["a", "b"]]
        try await cluster.setScopes(#"{"tables": {"items": {"rows": {"column": "site", "in": "node.sites"}}}}"#)
        func prepare(_ node: TestNode, sites: [String]) async throws {
            try await SyncCluster.outpost(
                ["hub", "node", "set", node.hubID, "--attr", "sites=\(sites.joined(separator: ","))"]
                    + cluster.hubArguments
            )
            try node.execute("CREATE TABLE items (id TEXT PRIMARY KEY, site TEXT, count INTEGER, label TEXT)")
            try node.store.track("items")
        }
        for (node, own) in zip(cluster.nodes, sites) { try await prepare(node, sites: own) }
        let keys = (0..<8).map { "k\($0)" }
        for _ in 0..<12 {
            for (node, own) in zip(cluster.nodes, sites) {
                for _ in 0..<Int.random(in: 0...4, using: &random) {
                    let key = keys.randomElement(using: &random)!
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0..<4:
                        try node.execute(
                            "INSERT INTO items (id, site, count) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET count = excluded.count",
                            [key, own.randomElement(using: &random)!, Int.random(in: 0..<100, using: &random)]
                        )
                    case 4..<6:
                        try node.execute(
                            "UPDATE items SET label = ? WHERE id = ?",
                            ["l\(Int.random(in: 0..<5, using: &random))", key]
                        )
                    case 6..<8:
                        // Hands the row to a site, maybe one this node cannot see.
                        try node.execute(
                            "UPDATE items SET site = ? WHERE id = ?",
                            [["a", "b"].randomElement(using: &random)!, key]
                        )
                    default:
                        try node.execute("DELETE FROM items WHERE id = ?", [key])
                    }
                }
            }
            for node in cluster.nodes.shuffled(using: &random) where Bool.random(using: &random) {
                try await node.sync()
            }
        }
        try await cluster.syncUntilSettled()
        // A node that only pulls, with the same scope, holds what the hub shows that scope; a
        // writer holds the same, apart from its own changes the hub refused (parked, visible).
        for (index, (node, own)) in zip(cluster.nodes, sites).enumerated() {
            let observer = try await cluster.addNode(name: "observer\(index)")
            try await prepare(observer, sites: own)
            try await observer.sync()
            let parked = Set(try node.store.queueEntries(status: .failed).map(\.key))
            let expected = try Self.items(observer).filter { !parked.contains($0.key) }
            let held = try Self.items(node).filter { !parked.contains($0.key) }
            #expect(held == expected, "seed \(seed), node \(index) (\(own)); parked \(parked.sorted())")
            #expect(
                expected.values.allSatisfy { row in own.contains { row.hasPrefix("\($0)|") } },
                "seed \(seed): the observer holds only its sites' rows: \(expected)"
            )
            let waiting = try node.store.queueEntries(status: .pending)
            #expect(waiting.isEmpty, "seed \(seed): nothing left to push: \(waiting)")
        }
    }

    /// The `items` rows a node holds, by key, as `site|count|label`.
    private static func items(_ node: TestNode) throws -> [String: String] {
        try node.store.pool.read { db in
            var rows: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, site, count, label FROM items") {
                let site: String? = row["site"]
                let count: Int? = row["count"]
                let label: String? = row["label"]
                rows[row["id"]] = "\(site ?? "-")|\(count.map(String.init) ?? "-")|\(label ?? "-")"
            }
            return rows
        }
    }
}
