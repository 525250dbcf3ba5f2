import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

/// Schemas that follow the hub's declarations: columns added by themselves, tables adopted from
/// the hub, and `outpost schema diff`, each on both hub backends.
@Suite("Schema evolution")
struct SchemaEvolutionTests {
    /// Each column's declared type and the row's value with its storage class.
    static func describe(_ node: TestNode, table: String = "t", key: String) throws -> [String: String] {
        try node.store.read { db in
            var described: [String: String] = [:]
            for column in try Row.fetchAll(db, sql: "SELECT name, type FROM pragma_table_info(?)", arguments: [table]) {
                let name: String = column["name"]
                let value = try String.fetchOne(
                    db,
                    sql:
                        "SELECT typeof(\(quoted(name))) || ':' || quote(\(quoted(name))) FROM \(quoted(table)) WHERE id = ?",
                    arguments: [key]
                )
                described[name] = "\(column["type"] as String) \(value ?? "missing")"
            }
            return described
        }
    }

    static func quoted(_ name: String) -> String { "\"\(name)\"" }

    @Test(
        "a node with an older schema gets the hub's new columns with the other node's values, and captures them",
        arguments: SyncBackend.allCases
    )
    func hubColumnsAreAdded(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT)")
        try a.store.track("t")
        // B keeps a local column, so its update trigger watches a list of columns.
        try b.execute("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT, seen_at TEXT)")
        try b.store.track("t", localColumns: ["seen_at"])
        try a.execute("INSERT INTO t VALUES ('r', 'first'), ('s', 'second')")
        try await a.sync()
        try await b.sync()

        try a.execute("ALTER TABLE t ADD COLUMN extra VARCHAR(20)")
        try a.execute("ALTER TABLE t ADD COLUMN amount REAL")
        try a.execute("UPDATE t SET extra = 'hello', amount = 1.0 WHERE id = 'r'")
        try await a.sync()
        let report = try await b.sync()
        #expect(report.columnsAdded == ["t.extra", "t.amount"])
        #expect(try Self.describe(b, key: "r")["extra"] == "VARCHAR(20) text:'hello'")
        #expect(try Self.describe(b, key: "r")["amount"] == "REAL real:1.0")
        #expect(try Self.describe(b, key: "s")["extra"] == "VARCHAR(20) null:NULL")
        #expect(try b.queueCount(status: "pending") == 0, "filling the new columns sends nothing")

        // B's capture watches the new columns; A's values survive B's edits of other columns.
        try b.execute("UPDATE t SET extra = 'from b' WHERE id = 's'")
        try b.execute("UPDATE t SET name = 'edited on b' WHERE id = 'r'")
        #expect(try b.queueCount(status: "pending") == 2)
        try await b.sync()
        try await a.sync()
        #expect(try Self.describe(a, key: "s")["extra"] == "VARCHAR(20) text:'from b'")
        #expect(try Self.describe(a, key: "r")["extra"] == "VARCHAR(20) text:'hello'")
        #expect(try Self.describe(a, key: "r")["name"] == "TEXT text:'edited on b'")
        #expect(try a.syncedContents() == b.syncedContents())

        // Nothing more to add: the next syncs ask the hub nothing.
        #expect(try await b.sync().columnsAdded.isEmpty)
    }

    @Test(
        "with auto-add off a node's table is unchanged and the values wait; turned on, the next sync adds and fills them",
        arguments: SyncBackend.allCases
    )
    func autoAddOffKeepsTheTable(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        for node in [a, b] {
            try node.execute("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT)")
            try node.store.track("t")
        }
        try b.store.setAddsHubColumns(false)
        #expect(try b.store.addsHubColumns() == false)
        try a.execute("INSERT INTO t VALUES ('r', 'first')")
        try await a.sync()
        try await b.sync()
        try a.execute("ALTER TABLE t ADD COLUMN extra TEXT")
        try a.execute("UPDATE t SET extra = 'hello' WHERE id = 'r'")
        try await a.sync()

        #expect(try await b.sync().columnsAdded.isEmpty)
        #expect(try await b.store.read { db in try TableSchema.require("t", in: db).columns } == ["id", "name"])
        try b.execute("UPDATE t SET name = 'edited on b' WHERE id = 'r'")
        try await b.sync()
        try await a.sync()
        #expect(try Self.describe(a, key: "r")["extra"] == "TEXT text:'hello'", "B's edit kept A's value")
        #expect(try Self.describe(a, key: "r")["name"] == "TEXT text:'edited on b'")

        // Turned on again: the values B kept fill the added column (no row carries it now).
        try b.store.setAddsHubColumns(true)
        #expect(try await b.sync().columnsAdded == ["t.extra"])
        #expect(try Self.describe(b, key: "r")["extra"] == "TEXT text:'hello'")
        #expect(try a.syncedContents() == b.syncedContents())
    }

    @Test(
        "track --from-hub creates a table a fresh node does not have, from the hub's declaration, and fills it",
        arguments: SyncBackend.allCases
    )
    func trackFromHub(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 1, hub: .process)
        let a = cluster.nodes[0]
        try a.execute(
            """
            CREATE TABLE readings (site TEXT, id TEXT, value REAL, label VARCHAR(20), n INTEGER, raw,
                                   PRIMARY KEY (site, id))
            """
        )
        try a.store.track("readings", priority: 3)
        for index in 0..<30 {
            try a.execute(
                "INSERT INTO readings VALUES ('s1', ?, ?, ?, ?, X'00FF')",
                ["r\(index)", Double(index) + 0.5, "label \(index)", index]
            )
        }
        try await a.sync()

        let c = try await cluster.addNode(name: "fresh")
        try await c.sync()
        let adopted = try await SyncCluster.outpost([
            "track", "READINGS", "--from-hub", "--priority", "4", "--home", c.home,
        ])
        #expect(adopted.contains("Created readings from the hub's declaration"))
        #expect(adopted.contains("pulled 30"))
        let schema = try await c.store.read { db in try TableSchema.require("readings", in: db) }
        #expect(schema.columns == ["site", "id", "value", "label", "n", "raw"])
        #expect(schema.declaredTypes == ["TEXT", "TEXT", "REAL", "VARCHAR(20)", "INTEGER", ""])
        #expect(schema.primaryKey == ["site", "id"])
        #expect(try c.store.trackedTables().first { $0.name == "readings" }?.priority == 4)
        #expect(try c.syncedContents()["readings"] == a.syncedContents()["readings"])

        // C's own writes go up like any tracked table's.
        try c.execute("INSERT INTO readings VALUES ('s2', 'c1', 9.5, 'from c', 1, NULL)")
        try await c.sync()
        try await a.sync()
        #expect(try c.syncedContents() == a.syncedContents())

        // Refused: a table the hub does not know, and one the store already has.
        for (table, message) in [
            ("nope", "The hub knows no table 'nope'"), ("readings", "already has a table named 'readings'"),
        ] {
            let refused = try await runProgram(
                OutpostExecutable.path,
                ["track", table, "--from-hub", "--home", c.home]
            )
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(message), "\(refused)")
        }
    }

    @Test(
        "schema diff shows what differs from the hub, both ways, and the hub's tables not tracked",
        arguments: SyncBackend.allCases
    )
    func schemaDiff(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT, extra INTEGER)")
        try a.execute("CREATE TABLE other (id TEXT PRIMARY KEY)")
        try a.store.track("t")
        try a.store.track("other")
        try a.execute("INSERT INTO t VALUES ('r', 'first', 1)")
        try a.execute("INSERT INTO other VALUES ('o')")
        try await a.sync()
        try b.execute("CREATE TABLE t (id TEXT PRIMARY KEY, name VARCHAR(10), seen_at TEXT, note TEXT)")
        try b.store.track("t", localColumns: ["seen_at"])
        try b.store.setAddsHubColumns(false)

        let diff = try await b.engine.schemaDiff()
        #expect(diff.autoAdd == false)
        #expect(diff.untracked == ["other"])
        let t = try #require(diff.tables.first { $0.name == "t" })
        #expect(t.onHub && !t.matches)
        #expect(t.missingHere == [TableDeclaration.Column(name: "extra", type: "INTEGER")])
        #expect(t.missingOnHub == ["note"])
        #expect(t.localOnly == ["seen_at"])
        #expect(t.typeDifferences.map { [$0.column, $0.node, $0.hub] } == [["name", "VARCHAR(10)", "TEXT"]])
        #expect(try #require(diff.tables.first { $0.name == "agents" }).onHub == false, "no node pushed an agent")

        let text = try await SyncCluster.outpost(["schema", "diff", "--home", b.home])
        #expect(text.contains("adding the hub's columns: off"))
        #expect(text.contains("hub has, this node lacks: extra INTEGER"))
        #expect(text.contains("this node has, hub lacks: note"))
        #expect(text.contains("declared type of name: VARCHAR(10) here, TEXT on the hub"))
        #expect(text.contains("hub tables not tracked here: other"))
        let json = try await JSONValue(parsing: SyncCluster.outpost(["schema", "diff", "--json", "--home", b.home]))
        #expect(json["auto_add"] == .bool(false))
        #expect(json["untracked"] == ["other"])
        #expect(
            json["tables"]?.array?.first { $0["name"] == "t" }?["missing_here"] == [
                ["name": "extra", "type": "INTEGER"]
            ]
        )
        #expect(try await SyncCluster.outpost(["schema", "auto-add", "on", "--home", b.home]) == "on\n")

        // Once B has synced (its push declares note; the pull adds extra) only the type differs.
        try b.execute("INSERT INTO t (id, name, note) VALUES ('b', 'from b', 'n')")
        try await b.sync()
        try await b.sync()
        let after = try #require(try await b.engine.schemaDiff().tables.first { $0.name == "t" })
        #expect(after.missingHere.isEmpty && after.missingOnHub.isEmpty)
        #expect(after.typeDifferences.map(\.column) == ["name"])
    }
}

extension JSONValue {
    fileprivate var array: [JSONValue]? {
        guard case .array(let values) = self else { return nil }
        return values
    }
}
