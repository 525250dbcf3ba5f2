import GRDB
import OutpostCore
import OutpostMerge
import OutpostTesting
import Testing

@testable import OutpostStore

@Suite("The manual conflict queue")
struct ConflictQueueTests {
    /// An agent the hub has confirmed, then edited here (its status), while the hub renamed it:
    /// parked as a manual conflict.
    struct Parked {
        let fixture: StoreFixture
        let conflictID: Int64
        let conflict: Conflict

        init() throws {
            fixture = try StoreFixture()
            let store = fixture.store
            _ = try store.addAgent(id: "a1", name: "Scout", type: "vision", config: ["fps": 5])
            let base = try Self.row("a1", store)
            try store.write { db in
                try Outbox(db).fold()
                try db.execute(sql: "UPDATE sync_queue SET status = 'completed'")
            }
            try store.updateAgent(id: "a1", AgentChanges(status: "active"))
            let local = try Self.row("a1", store)
            guard case .object(var remote) = base else { throw OutpostError(.invalidInput, "no row") }
            remote["name"] = "Scout (hub)"
            remote["version"] = 2
            conflict = Conflict(
                entityType: "agents",
                key: "a1",
                local: local,
                remote: .object(remote),
                base: base,
                localStamp: HybridTimestamp(milliseconds: 2_000, counter: 0, node: store.nodeID),
                remoteStamp: HybridTimestamp(milliseconds: 1_000, counter: 0, node: "hub"),
                localVersion: 2,
                remoteVersion: 2
            )
            let resolution = ConflictResolver().resolve(conflict, using: .manual)
            conflictID = try store.recordConflict(conflict, resolution: resolution)
        }

        static func row(_ id: String, _ store: Store) throws -> JSONValue {
            try store.read { db in
                JSONValue(try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE id = ?", arguments: [id])!)
            }
        }

        func entries(status: String) throws -> [QueueEntry] {
            try fixture.queue().filter { $0.record == "a1" && $0.status == status }
        }
    }

    @Test("recording parks the conflict with its sides, stamps and suggestions, and holds the row")
    func recordHolds() throws {
        let parked = try Parked()
        defer { parked.fixture.folder.remove() }
        let store = parked.fixture.store
        let record = try store.requireConflict(id: parked.conflictID)
        #expect(record.kind == .sync && record.status == .pending)
        #expect(record.table == "agents" && record.key == "a1")
        #expect(record.local == parked.conflict.local && record.remote == parked.conflict.remote)
        #expect(record.base == parked.conflict.base)
        #expect(record.localStamp == parked.conflict.localStamp && record.remoteStamp == parked.conflict.remoteStamp)
        #expect(record.localVersion == 2 && record.remoteVersion == 2)
        #expect(Set(record.fields).isSuperset(of: ["name", "status"]))
        #expect(record.suggestions.map(\.id) == ["keep_local", "keep_remote", "smart_merge"])
        #expect(record.suggestions[0].pros.contains("Preserves local changes"))
        #expect(record.merged?["name"] == "Scout (hub)" && record.merged?["status"] == "active")
        let byName = Dictionary(uniqueKeysWithValues: record.comparison.map { ($0.name, $0.change) })
        #expect(byName["name"] == .remote && byName["status"] == .local && byName["type"] == .same)

        #expect(try parked.entries(status: "pending").isEmpty)
        #expect(try parked.entries(status: "conflict").count == 1)
        #expect(try store.hasPendingSyncConflict(table: "agents", key: "a1"))
        #expect(try Parked.row("a1", store)["status"] == "active", "the row keeps its local value")
        #expect(try store.conflicts().map(\.id) == [parked.conflictID])
        #expect(try store.conflicts(status: .resolved).isEmpty)
    }

    @Test("recording the same row again updates its pending conflict instead of adding one")
    func recordAgain() throws {
        let parked = try Parked()
        defer { parked.fixture.folder.remove() }
        var newer = parked.conflict
        newer.remote = .object(newer.remote.objectValue!.merging(["name": "Scout v3"]) { $1 })
        newer.remoteStamp.milliseconds = 3_000
        let resolution = ConflictResolver().resolve(newer, using: .manual)
        let id = try parked.fixture.store.recordConflict(newer, resolution: resolution)
        #expect(id == parked.conflictID)
        let all = try parked.fixture.store.conflicts(status: nil)
        #expect(all.count == 1 && all[0].remote?["name"] == "Scout v3" && all[0].remoteStamp == newer.remoteStamp)
    }

    @Test(
        "resolving writes the chosen row, records who and when, and queues the row for push exactly once",
        arguments: [
            (ConflictChoice.remote, "Scout (hub)", "inactive", "keep_remote"),
            (.local, "Scout", "active", "keep_local"),
            (.merged, "Scout (hub)", "active", "merged"),
            (.suggestion("smart_merge"), "Scout (hub)", "active", "smart_merge"),
            (.suggestion("keep_remote"), "Scout (hub)", "inactive", "keep_remote"),
            (.data(["name": "Chosen", "status": "paused"]), "Chosen", "paused", "data"),
        ]
    )
    func resolve(choice: ConflictChoice, name: String, status: String, recorded: String) throws {
        let parked = try Parked()
        defer { parked.fixture.folder.remove() }
        let store = parked.fixture.store
        let resolved = try store.resolveConflict(id: parked.conflictID, choosing: choice, by: "alice")
        let row = try Parked.row("a1", store)
        #expect(row["name"] == .string(name) && row["status"] == .string(status))
        #expect(resolved.status == .resolved && resolved.resolvedBy == "alice")
        #expect(resolved.resolvedAt?.isEmpty == false)
        #expect(resolved.resolutionStrategy == recorded)
        #expect(resolved.resolvedData == row)
        let pending = try parked.entries(status: "pending")
        #expect(pending.count == 1 && pending.first?.operation == "UPDATE")
        #expect(try parked.entries(status: "conflict").isEmpty)
        #expect(try !store.hasPendingSyncConflict(table: "agents", key: "a1"))
        #expect(try store.conflicts().isEmpty)
        #expect(try store.conflicts(status: .resolved).map(\.id) == [parked.conflictID])
    }

    @Test("a local edit made while the row is held is kept by --keep local and folded into one entry")
    func editWhileHeld() throws {
        let parked = try Parked()
        defer { parked.fixture.folder.remove() }
        let store = parked.fixture.store
        try store.updateAgent(id: "a1", AgentChanges(type: "thermal"))
        #expect(try parked.entries(status: "pending").count == 1, "a new capture, which the engine must not push")
        #expect(try store.hasPendingSyncConflict(table: "agents", key: "a1"))
        let held = try parked.entries(status: "conflict")[0]
        try store.resolveConflict(id: parked.conflictID, choosing: .local)
        #expect(try Parked.row("a1", store)["type"] == "thermal")
        let pending = try parked.entries(status: "pending")
        #expect(pending.count == 1 && pending[0].operation == "UPDATE" && pending[0].hlc > held.hlc)
        #expect(try parked.entries(status: "conflict").isEmpty)
        #expect(try store.conflicts(status: .resolved)[0].resolvedBy == Store.defaultResolverName)
    }

    @Test("null data deletes the row, and the queue entry becomes a DELETE")
    func resolveByDeleting() throws {
        let parked = try Parked()
        defer { parked.fixture.folder.remove() }
        try parked.fixture.store.resolveConflict(id: parked.conflictID, choosing: .data(.null))
        #expect(try parked.fixture.store.agent(id: "a1") == nil)
        #expect(try parked.entries(status: "pending").map(\.operation) == ["DELETE"])
        #expect(try parked.fixture.store.requireConflict(id: parked.conflictID).resolvedData == .null)
    }

    @Test(
        "a refused resolution writes nothing",
        arguments: [
            (ConflictChoice.local, Int64(999), "No conflict with id 999"),
            (.suggestion("nope"), 0, "no suggestion 'nope'"),
            (.data(["nope": 1]), 0, "has no column 'nope'"),
            (.data(["id": "other"]), 0, "key column 'id'"),
            (.data([1, 2]), 0, "must be a JSON object"),
            (.data(["name": "x", "NAME": "y"]), 0, "twice"),
            (.data(["type": .null]), 0, "rule of the schema"),
        ]
    )
    func refused(choice: ConflictChoice, id: Int64, message: String) throws {
        let parked = try Parked()
        defer { parked.fixture.folder.remove() }
        let before = try parked.fixture.snapshot()
        #expect {
            try parked.fixture.store.resolveConflict(id: id == 0 ? parked.conflictID : id, choosing: choice)
        } throws: { error in
            (error as? OutpostError)?.message.contains(message) == true
        }
        #expect(try parked.fixture.snapshot() == before)
    }

    @Test("a resolved conflict cannot be resolved again")
    func alreadyResolved() throws {
        let parked = try Parked()
        defer { parked.fixture.folder.remove() }
        try parked.fixture.store.resolveConflict(id: parked.conflictID, choosing: .remote, by: "alice")
        let before = try parked.fixture.snapshot()
        #expect {
            try parked.fixture.store.resolveConflict(id: parked.conflictID, choosing: .local)
        } throws: { error in
            (error as? OutpostError)?.message.contains("already resolved by alice") == true
        }
        #expect(try parked.fixture.snapshot() == before)
    }

    @Test("a version conflict: --keep local applies the attempted changes, --keep remote leaves the row")
    func versionConflicts() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let store = fixture.store
        _ = try store.addAgent(id: "a1", name: "Scout", type: "vision", config: ["fps": 5])
        try store.updateAgent(id: "a1", AgentChanges(status: "active"), expectedVersion: 1)
        for name in ["stale", "staler"] {
            #expect(throws: OutpostError.self) {
                try store.updateAgent(id: "a1", AgentChanges(name: name, config: ["fps": 9]), expectedVersion: 1)
            }
        }
        let records = try store.conflicts()
        #expect(records.map(\.kind) == [.version, .version])
        #expect(records[0].fields == ["config", "name"] && records[0].suggestions.isEmpty)
        #expect(records[0].local?["name"] == "stale" && records[0].remote?["name"] == "Scout")
        #expect(records[0].attemptedChanges?["config"] == ["fps": 9])
        #expect(try !store.hasPendingSyncConflict(table: "agents", key: "a1"), "nothing was written, nothing is held")

        _ = try fixture.queue()  // folds the capture log: the snapshots compare the queue as the engine sees it
        let before = try fixture.snapshot()
        #expect(throws: OutpostError.self) { try store.resolveConflict(id: records[0].id, choosing: .merged) }
        #expect(try fixture.snapshot() == before)

        try store.resolveConflict(id: records[1].id, choosing: .remote)
        var after = try fixture.snapshot()
        #expect(after["agents"] == before["agents"] && after["sync_queue"] == before["sync_queue"])

        try store.resolveConflict(id: records[0].id, choosing: .local, by: "bob")
        let agent = try store.requireAgent(id: "a1")
        #expect(agent.name == "stale" && agent.config == ["fps": 9] && agent.status == "active")
        #expect(agent.version == 3)
        after = try fixture.snapshot()
        #expect(try fixture.queue().filter { $0.status == "pending" }.count == 1)
        #expect(try store.conflicts().isEmpty && after["conflict_resolution"]?.count == 2)
    }

    @Test("a table with a two-column key: the conflict's key is a JSON array")
    func compositeKey() throws {
        let fixture = try StoreFixture()
        defer { fixture.folder.remove() }
        let store = fixture.store
        try store.write { db in
            try db.execute(sql: "CREATE TABLE stock (site TEXT, sku TEXT, count INTEGER, PRIMARY KEY (site, sku))")
        }
        try store.track("stock")
        try store.write { db in try db.execute(sql: "INSERT INTO stock VALUES ('s1', 'k9', 3)") }
        let conflict = Conflict(
            entityType: "stock",
            key: #"["s1","k9"]"#,
            local: ["site": "s1", "sku": "k9", "count": 3],
            remote: ["site": "s1", "sku": "k9", "count": 7],
            base: ["site": "s1", "sku": "k9", "count": 1],
            localStamp: HybridTimestamp(milliseconds: 1, counter: 0, node: "n"),
            remoteStamp: HybridTimestamp(milliseconds: 2, counter: 0, node: "hub")
        )
        let id = try store.recordConflict(conflict, resolution: ConflictResolver().resolve(conflict, using: .manual))
        try store.resolveConflict(id: id, choosing: .data(["count": 5]))
        let count = try store.read { db in try Int.fetchOne(db, sql: "SELECT count FROM stock") }
        #expect(count == 5)
        #expect(try fixture.queue().filter { $0.table == "stock" && $0.status == "pending" }.count == 1)
    }

    @Test("conflicts recorded before the queue migration read as version conflicts")
    func migratesOldRecords() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.appending("store.sqlite")
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: "v1: seed schema, outbox, capture")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO conflict_resolution (table_name, record_id, local_version, remote_version,
                        local_data, remote_data, status)
                    VALUES ('agents', 'a1', 1, 2, '{"name":"x"}', '{"id":"a1","name":"y"}', 'pending')
                    """
            )
        }
        try queue.close()
        let store = try Store(path: path)
        let record = try store.conflicts()[0]
        #expect(record.kind == .version && record.local?["name"] == "x" && record.remote?["name"] == "y")
    }
}
