import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostSync
import OutpostSystem
import OutpostTesting
import Testing

/// `outpost backup` / `restore` and `outpost hub backup` / `hub restore`, as an operator runs
/// them against live processes: nothing written before or after the backup is lost, and
/// nothing is applied twice.
@Suite("Backup and restore")
struct BackupRestoreTests {
    /// The restored node's rows of the synced tables, read from its store.
    private static func contents(of home: String) throws -> [String: [String]] {
        try Store(path: home + "/store.sqlite", createIfMissing: false).syncedContents()
    }

    private static func outpost(_ arguments: String...) async throws -> CommandResult {
        try await OutpostExecutable.run(arguments)
    }

    @Test(
        "a node backed up while `outpost run` serves, then lost, comes back whole: what it pushed after the backup returns from the hub",
        arguments: SyncBackend.allCases
    )
    func nodeRestoredAfterLoss(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('before', 'Before', 'vision')")
        try await a.sync()
        let source = cluster.folder.appending("photo.bin")
        try Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: source))
        let put = try await Self.outpost("files", "put", source, "--as", "photo.bin", "--home", a.home)
        try #require(put.status == 0, "\(put)")

        let daemon = try ChildProcess(OutpostExecutable.path, ["run", "--home", a.home]).start()
        defer { daemon.kill() }
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('during', 'During', 'vision')")
        let archive = cluster.folder.appending("a.tar")
        let backup = try await Self.outpost("backup", "--to", archive, "--home", a.home, "--json")
        try #require(backup.status == 0, "\(backup)")
        #expect(try JSONValue(parsing: backup.stdout)["node_id"]?.stringValue == a.store.nodeID)
        let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the archive holds the node's token")

        // Written after the backup and pushed by the daemon: only the hub has it now.
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('after', 'After', 'vision')")
        try await eventually("the daemon pushed the row written after the backup") {
            try await b.sync()
            return try await b.store.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM agents WHERE id = 'after')") ?? false
            }
        }
        daemon.terminate()
        #expect(daemon.wait() == .exited(0))

        // The node's disk is lost; the operator restores the backup into a new home.
        let restored = cluster.folder.appending("a-restored")
        let restore = try await Self.outpost("restore", "--from", archive, "--home", restored)
        try #require(restore.status == 0, "\(restore)")
        #expect(restore.stdout.contains("fetches these tables again"), "\(restore)")
        let sync = try await Self.outpost("sync", "--home", restored)
        try #require(sync.status == 0, "\(sync)")

        let agents = try #require(try Self.contents(of: restored)["agents"])
        for id in ["before", "during", "after"] {
            #expect(agents.contains { $0.contains("\"\(id)\"") }, "\(id) is on the restored node: \(agents)")
        }
        let verify = try await Self.outpost("verify", "--home", restored)
        #expect(verify.status == 0, "the restored node matches the hub: \(verify)")
        let fetched = cluster.folder.appending("photo.out")
        let get = try await Self.outpost("files", "get", "photo.bin", "--output", fetched, "--home", restored)
        try #require(get.status == 0, "\(get)")
        #expect(FileManager.default.contents(atPath: fetched) == FileManager.default.contents(atPath: source))

        // The restored node carries on as the same node.
        let write = try await Self.outpost(
            "sql",
            "INSERT INTO agents (id, name, type) VALUES ('restored', 'Restored', 'vision')",
            "--home",
            restored
        )
        try #require(write.status == 0, "\(write)")
        #expect(try await Self.outpost("sync", "--home", restored).status == 0)
        try await b.sync()
        #expect(try b.syncedContents() == Self.contents(of: restored))
    }

    @Test(
        "a change queued at the backup and pushed since is not applied twice after a restore; edited since by another node, it waits for a person",
        arguments: SyncBackend.allCases
    )
    func queuedChangeGoesUpOnce(backend: SyncBackend) async throws {
        let cluster = try await SyncCluster(backend, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('same', 'Queued', 'vision')")
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('edited', 'Queued', 'vision')")
        let archive = cluster.folder.appending("a.tar")
        #expect(try await Self.outpost("backup", "--to", archive, "--home", a.home).status == 0)
        try await a.sync()
        // Another node edits one of the rows after the original pushed them.
        try await b.sync()
        try b.execute("UPDATE agents SET name = 'Renamed by B', status = 'active' WHERE id = 'edited'")
        try await b.sync()

        let restored = cluster.folder.appending("a-restored")
        #expect(try await Self.outpost("restore", "--from", archive, "--home", restored).status == 0)
        let sync = try await Self.outpost("sync", "--home", restored)
        try #require(sync.status == 0, "\(sync)")
        let store = try Store(path: restored + "/store.sqlite", createIfMissing: false)
        let counts = try await store.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT record_id, status FROM sync_queue WHERE status <> 'completed' ORDER BY record_id"
            ).map { "\($0["record_id"] as String):\($0["status"] as String)" }
        }
        // The unchanged row went up again and matched; the edited one cannot be told from a
        // concurrent edit without the base the lost disk held, so a person decides: both sides kept.
        #expect(counts == ["edited:conflict"], "\(counts)")
        let conflicts = try store.conflicts()
        #expect(conflicts.map(\.key) == ["edited"])
        #expect(conflicts.first?.remote?["name"] == "Renamed by B" && conflicts.first?.local?["name"] == "Queued")

        let resolve = try await Self.outpost(
            "conflicts",
            "resolve",
            "\(try #require(conflicts.first).id)",
            "--keep",
            "remote",
            "--home",
            restored
        )
        try #require(resolve.status == 0, "\(resolve)")
        #expect(try await Self.outpost("sync", "--home", restored).status == 0)
        try await b.sync()
        #expect(try b.syncedContents() == Self.contents(of: restored))
        let rows = try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM agents WHERE id IN ('same', 'edited') ORDER BY id")
                .map { "\($0["id"] as String)=\($0["name"] as String)" }
        }
        #expect(rows == ["edited=Renamed by B", "same=Queued"], "each row exists once: \(rows)")
    }

    @Test("a SQLite hub restored from a backup is noticed by its nodes, which push again what it lost")
    func hubRestored() async throws {
        let cluster = try await SyncCluster(.sqlite, nodes: 2, hub: .process)
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        try a.execute("INSERT INTO agents (id, name, type) VALUES ('old', 'Old', 'vision')")
        try await a.sync()
        let archive = cluster.folder.appending("hub-backup.sqlite")
        let backup = try await Self.outpost(["hub", "backup", "--to", archive] + cluster.hubArguments)
        try #require(backup.status == 0, "\(backup)")

        try a.execute("INSERT INTO agents (id, name, type) VALUES ('lost', 'Lost by the hub', 'vision')")
        try await a.sync()
        await cluster.stopHub()
        let refused = try await Self.outpost(["hub", "restore", "--from", archive] + cluster.hubArguments)
        #expect(refused.status != 0 && refused.stderr.contains("--yes"), "\(refused)")
        let restore = try await Self.outpost(
            ["hub", "restore", "--from", archive, "--yes", "--json"] + cluster.hubArguments
        )
        try #require(restore.status == 0, "\(restore)")
        #expect(try JSONValue(parsing: restore.stdout)["tenants"] == 1)
        try await cluster.startHub()

        // A sees the new epoch, fetches everything again and pushes the row the hub lost; B,
        // which never had it, receives it.
        try await cluster.syncAll()
        #expect(try b.syncedContents() == a.syncedContents())
        let lost = try await b.store.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM agents WHERE id = 'lost')") ?? false
        }
        #expect(lost, "the row the hub lost in the restore came back from A")
    }

    private static func outpost(_ arguments: [String]) async throws -> CommandResult {
        try await OutpostExecutable.run(arguments)
    }
}
