import GRDB
import OutpostCore
import OutpostMerge
import OutpostStore
import OutpostSync
import OutpostTesting
import Testing

@Suite("outpost conflicts: list, show, resolve through the real executable", .serialized)
struct ConflictCommandTests {
    /// A node whose agent `a1` collides with the hub: renamed there, its status changed here.
    /// The conflict is parked as the sync engine will park it, through the Store API.
    struct ParkedNode {
        let node: CLINode
        let conflictID: Int64

        init() async throws {
            node = try await CLINode()
            #expect(
                try await node.outpost("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision").status == 0
            )
            let store = try Store(path: node.storePath)
            let base = try Self.row(store)
            try await store.write { db in
                try Outbox(db).fold()
                try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
            }
            #expect(try await node.outpost("agent", "update", "a1", "--status", "active").status == 0)
            let local = try Self.row(store)
            var remote = base.objectValue!
            remote["name"] = "Scout (hub)"
            remote["version"] = 2
            let conflict = Conflict(
                entityType: "agents",
                key: "a1",
                local: local,
                remote: .object(remote),
                base: base,
                localStamp: HybridTimestamp(milliseconds: 2_000, counter: 0, node: store.nodeID),
                remoteStamp: HybridTimestamp(milliseconds: 1_000, counter: 0, node: "hub-id-of-line-2"),
                localVersion: 2,
                remoteVersion: 2
            )
            conflictID = try store.recordConflict(
                conflict,
                resolution: ConflictResolver().resolve(conflict, using: .manual)
            )
            try node.settleClock()
        }

        static func row(_ store: Store) throws -> JSONValue {
            try store.read { db in JSONValue(try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE id = 'a1'")!) }
        }

        /// The statuses of a1's queue entries, sorted.
        func queue() throws -> [String] {
            let store = try Store(path: node.storePath)
            return try store.read { db in
                try String.fetchAll(
                    db,
                    sql: "SELECT status || ' ' || operation FROM sync_queue WHERE record_id = 'a1' ORDER BY 1"
                )
            }
        }
    }

    @Test("list and show: the sides side by side, the differing fields marked, suggestions with pros and cons")
    func listAndShow() async throws {
        let parked = try await ParkedNode()
        defer { parked.node.folder.remove() }
        let node = parked.node
        #expect(try parked.queue() == ["completed INSERT", "conflict UPDATE"], "the row is held")

        let list = try await node.outpost("conflicts", "list")
        #expect(list.status == 0 && list.stdout.contains("agents") && list.stdout.contains("a1"))
        #expect(list.stdout.contains("sync") && list.stdout.contains("pending"))
        let listed = try await node.json("conflicts", "list")
        guard case .array(let conflicts) = listed else {
            Issue.record("list --json is not an array: \(listed)")
            return
        }
        #expect(conflicts.count == 1 && conflicts[0]["id"] == .integer(parked.conflictID))

        let show = try await node.outpost("conflicts", "show", "\(parked.conflictID)")
        #expect(show.status == 0, "\(show)")
        let lines = show.stdout.split(separator: "\n").map(String.init)
        let nameLine = lines.first { $0.contains("name") && $0.contains("Scout (hub)") }
        #expect(nameLine?.hasPrefix("*") == true && nameLine?.contains("remote") == true, "\(show.stdout)")
        let statusLine = lines.first { $0.contains(" status ") }
        #expect(statusLine?.hasPrefix("*") == true && statusLine?.contains("local") == true, "\(show.stdout)")
        let typeLine = lines.first { $0.contains(" type ") }
        #expect(typeLine?.hasPrefix("*") == false, "\(show.stdout)")
        for text in [
            "keep_local", "keep_remote", "smart_merge", "+ Preserves local changes", "- May lose local changes",
        ] {
            #expect(show.stdout.contains(text), "show should mention \(text)")
        }
        let shown = try await node.json("conflicts", "show", "\(parked.conflictID)")
        #expect(shown["kind"] == "sync" && shown["status"] == "pending" && shown["base"]?["name"] == "Scout")
        #expect(shown["remote_writer"] == "node hub-id-of-line-2", "before a sync, an id: \(shown)")

        // After a sync has fetched who is who (GET /v1/nodes), each side is named.
        let store = try Store(path: node.storePath)
        let directory = NodeDirectory(
            names: ["hub-id-of-line-1": "line-1", "hub-id-of-line-2": "line-2"],
            selfID: "hub-id-of-line-1"
        )
        try await store.write { db in
            try Store.setSetting(SyncEngine.nodeDirectorySetting, to: directory.json.encoded(), in: db)
        }
        let named = try await node.outpost("conflicts", "show", "\(parked.conflictID)")
        #expect(named.stdout.contains("by this node (line-1)"), "\(named.stdout)")
        #expect(named.stdout.contains("by line-2 (hub-id-of-line-2)"), "\(named.stdout)")
    }

    @Test(
        "resolve each way: the row written, who and when recorded, the row queued for push exactly once",
        arguments: [
            (["--keep", "remote"], "Scout (hub)", "inactive"),
            (["--keep", "local"], "Scout", "active"),
            (["--keep", "merged"], "Scout (hub)", "active"),
            (["--keep", "smart_merge"], "Scout (hub)", "active"),
            (["--keep", "keep_local"], "Scout", "active"),
            (["--data", #"{"name": "Picked", "status": "paused"}"#], "Picked", "paused"),
        ]
    )
    func resolve(options: [String], name: String, status: String) async throws {
        let parked = try await ParkedNode()
        defer { parked.node.folder.remove() }
        let node = parked.node
        let result = try await node.outpost(
            arguments: ["conflicts", "resolve", "\(parked.conflictID)", "--by", "alice"] + options
        )
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("queued for push"))
        let agent = try await node.json("agent", "show", "a1")
        #expect(agent["name"] == .string(name) && agent["status"] == .string(status))
        #expect(try parked.queue() == ["completed INSERT", "pending UPDATE"])
        #expect(try await node.outpost("conflicts", "list").stdout.contains("(none)"))
        let resolved = try await node.json("conflicts", "show", "\(parked.conflictID)")
        #expect(resolved["status"] == "resolved" && resolved["resolved_by"] == "alice")
        #expect(resolved["resolved_at"]?.stringValue?.isEmpty == false)
        #expect(resolved["resolved_data"]?["name"] == .string(name))
        let all = try await node.json("conflicts", "list", "--status", "all")
        #expect(all.arrayCount == 1)
    }

    @Test("a version conflict from --expected-version, resolved by keeping the attempted change")
    func versionConflict() async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        _ = try await node.outpost("agent", "add", "--id", "a1", "--name", "Scout", "--type", "vision")
        _ = try await node.outpost("agent", "update", "a1", "--status", "active", "--expected-version", "1")
        let refused = try await node.outpost("agent", "update", "a1", "--name", "Stale", "--expected-version", "1")
        expectOneLineFailure(refused, mentioning: "outpost conflicts list")
        let listed = try await node.json("conflicts", "list")
        let id = listed.first?["id"]?.integerValue ?? 0
        #expect(listed.first?["kind"] == "version")
        let show = try await node.outpost("conflicts", "show", "\(id)")
        #expect(show.stdout.contains("attempted changes") && show.stdout.contains("Stale"), "\(show)")
        let resolved = try await node.outpost("conflicts", "resolve", "\(id)", "--keep", "local")
        #expect(resolved.status == 0, "\(resolved)")
        let agent = try await node.json("agent", "show", "a1")
        #expect(agent["name"] == "Stale" && agent["status"] == "active" && agent["version"] == 3)
    }

    @Test(
        "bad input: one line on stderr, a non-zero exit, and the store unchanged",
        arguments: [
            (["conflicts", "resolve", "999", "--keep", "local"], "No conflict with id 999"),
            (["conflicts", "show", "999"], "No conflict with id 999"),
            (["conflicts", "resolve", "abc", "--keep", "local"], "not a conflict id"),
            (["conflicts", "resolve", "ID", "--keep", "nope"], "no suggestion 'nope'"),
            (["conflicts", "resolve", "ID", "--data", #"{"name": }"#], "line 1, column 10"),
            (["conflicts", "resolve", "ID", "--data", #"{"nope": 1}"#], "has no column 'nope'"),
            (["conflicts", "resolve", "ID", "--data", #"{"id": "a2"}"#], "key column 'id'"),
            (["conflicts", "resolve", "ID", "--data", "@/no/such/file.json"], "Cannot read /no/such/file.json"),
            (["conflicts", "resolve", "ID"], "exactly one of"),
            (["conflicts", "resolve", "ID", "--keep", "local", "--data", "{}"], "exactly one of"),
            (["conflicts", "resolve", "ID", "--keep", "local", "--by", ""], "must not be empty"),
        ]
    )
    func refuses(arguments: [String], message: String) async throws {
        let parked = try await ParkedNode()
        defer { parked.node.folder.remove() }
        let before = try parked.node.snapshot()
        let result = try await parked.node.outpost(
            arguments: arguments.map { $0 == "ID" ? "\(parked.conflictID)" : $0 }
        )
        expectOneLineFailure(result, mentioning: message)
        #expect(try parked.node.snapshot() == before)
    }

    @Test("an already resolved conflict is refused and nothing changes")
    func alreadyResolved() async throws {
        let parked = try await ParkedNode()
        defer { parked.node.folder.remove() }
        let id = "\(parked.conflictID)"
        #expect(
            try await parked.node.outpost("conflicts", "resolve", id, "--keep", "remote", "--by", "alice").status == 0
        )
        try parked.node.settleClock()
        let before = try parked.node.snapshot()
        expectOneLineFailure(
            try await parked.node.outpost("conflicts", "resolve", id, "--keep", "local"),
            mentioning: "already resolved by alice"
        )
        #expect(try parked.node.snapshot() == before)
    }

    @Test("every conflicts and rules command has help with an example")
    func help() async throws {
        for command in [
            ["conflicts", "list"], ["conflicts", "show"], ["conflicts", "resolve"], ["rules", "show"],
            ["rules", "set"], ["bench", "merge"],
        ] {
            let result = try await OutpostExecutable.run(command + ["--help"])
            #expect(result.status == 0 && result.stdout.contains("Example"), "\(command): \(result)")
        }
    }

    @Test("bench merge prints the machine, the rate and the target")
    func benchMerge() async throws {
        let text = try await OutpostExecutable.run(["bench", "merge", "--conflicts", "2000"])
        #expect(text.status == 0 && text.stdout.contains("machine:") && text.stdout.contains("conflicts/s"), "\(text)")
        #expect(text.stdout.contains("target ≥ 20000/s"))
        let result = try await OutpostExecutable.run(["bench", "merge", "--conflicts", "2000", "--json"])
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["conflicts"] == 2000 && json["machine"]?.stringValue?.isEmpty == false)
        if case .double(let rate)? = json["conflicts_per_second"] { #expect(rate > 0) } else { Issue.record("\(json)") }
    }
}

extension CLINode {
    /// Opens the store once, which raises its clock floor past the last captured stamp (as every
    /// open does), so that a snapshot taken next changes only if a command writes.
    func settleClock() throws {
        _ = try Store(path: storePath)
    }
}

extension JSONValue {
    /// The first element of an array.
    fileprivate var first: JSONValue? {
        if case .array(let elements) = self { return elements.first }
        return nil
    }

    fileprivate var arrayCount: Int {
        if case .array(let elements) = self { return elements.count }
        return 0
    }

    fileprivate var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
