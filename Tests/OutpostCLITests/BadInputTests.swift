import Foundation
import OutpostCore
import OutpostTesting
import Testing

@Suite("outpost refuses bad input and changes nothing", .serialized)
struct BadInputTests {
    @Test(
        "one clear line, a non-zero exit, and the store unchanged",
        arguments: [
            (["agent", "add", "--name", "X", "--type", "t", "--config", #"{"fps": }"#], "line 1, column 9"),
            (["agent", "add", "--name", "X", "--type", "t", "--config", "[1, 2]"], "must be a JSON object"),
            (["agent", "add", "--name", "X", "--type", "t", "--id", "a1"], "already exists"),
            (["agent", "show", "nobody"], "No agent with id 'nobody'"),
            (["agent", "update", "nobody", "--name", "x"], "No agent with id 'nobody'"),
            (["agent", "list", "--sort", "name; DROP TABLE agents"], "has no column"),
            (["workflow", "add", "--name", "W", "--agent", "nobody"], "No agent with id 'nobody'"),
            (
                ["workflow", "add", "--name", "W", "--definition", "@/no/such/file.json"],
                "Cannot read /no/such/file.json"
            ),
            (["execution", "show", "nobody"], "No execution with id"),
            (["track", "nokey"], "has no primary key"),
            (["track", "missing"], "No table named 'missing'"),
            (["track", "keyed", "--local-columns", "nope"], "has no column 'nope'"),
            (["untrack", "agents"], "core tables"),
            (
                ["sql", "INSERT INTO agents (id, name, type) VALUES ('z', 'Z', 't'); INSERT INTO nowhere VALUES (1)"],
                "no such table"
            ),
        ]
    )
    func refuses(arguments: [String], message: String) async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        _ = try await node.outpost("agent", "add", "--name", "A", "--type", "t", "--id", "a1")
        _ = try await node.outpost("sql", "CREATE TABLE nokey (a TEXT); CREATE TABLE keyed (id TEXT PRIMARY KEY)")
        let before = try node.snapshot()
        expectOneLineFailure(try await node.outpost(arguments: arguments), mentioning: message)
        #expect(try node.snapshot() == before)
    }

    @Test("hub commands other than tenant add refuse a folder without a hub, and create nothing")
    func missingHub() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hub = folder.appending("hub")
        for arguments in [
            ["hub", "node", "list"], ["hub", "tenant", "list"], ["hub", "node", "revoke", "x"], ["hub", "gc"],
            ["hub", "new-epoch"],
        ] {
            expectOneLineFailure(
                try await OutpostExecutable.run(arguments + ["--home", hub]),
                mentioning: "No hub at \(hub)"
            )
        }
        #expect(!FileManager.default.fileExists(atPath: hub + "/hub.sqlite"))
    }

    @Test("a missing home is reported, and nothing is created")
    func missingHome() async throws {
        let node = try await CLINode(initialised: false)
        defer { node.folder.remove() }
        expectOneLineFailure(try await node.outpost("status"), mentioning: "Run `outpost init")
        expectOneLineFailure(
            try await node.outpost("agent", "add", "--name", "A", "--type", "t"),
            mentioning: "No Outpost node"
        )
        expectOneLineFailure(try await node.outpost("sync"), mentioning: "No Outpost node at \(node.home)")
        #expect(!FileManager.default.fileExists(atPath: node.home))
    }

    @Test("a read-only disk is reported clearly and the store is unchanged")
    func readOnlyDisk() async throws {
        let mount = try await ScratchMount(sizeKilobytes: 4096)
        defer { mount.unmount() }
        let home = mount.path + "/node"
        #expect(try await OutpostExecutable.run(["init"], home: home).status == 0)
        #expect(
            try await OutpostExecutable.run(["agent", "add", "--name", "A", "--type", "t"], home: home).status == 0
        )
        let before = try StoreSnapshot.take(home + "/store.sqlite")
        try await mount.remount(readOnly: true)
        let result = try await OutpostExecutable.run(["agent", "add", "--name", "B", "--type", "t"], home: home)
        expectOneLineFailure(result, mentioning: "read-only")
        try await mount.remount(readOnly: false)
        #expect(try StoreSnapshot.take(home + "/store.sqlite") == before)
    }

    @Test("a full disk is reported clearly and nothing is half-written")
    func fullDisk() async throws {
        let mount = try await ScratchMount(sizeKilobytes: 1024)
        defer { mount.unmount() }
        let home = mount.path + "/node"
        #expect(try await OutpostExecutable.run(["init"], home: home).status == 0)
        #expect(
            try await OutpostExecutable.run(["agent", "add", "--name", "A", "--type", "t"], home: home).status == 0
        )
        let before = try StoreSnapshot.take(home + "/store.sqlite")
        // Fill what is left of the disk.
        _ = try await runProgram("/bin/dd", ["if=/dev/zero", "of=\(mount.path)/filler", "bs=4k"])
        let bigConfig = try TemporaryDirectory()
        defer { bigConfig.remove() }
        let configPath = bigConfig.appending("big.json")
        let payload = "{\"blob\": \"" + String(repeating: "x", count: 600_000) + "\"}"
        try Data(payload.utf8).write(to: URL(fileURLWithPath: configPath))
        let result = try await OutpostExecutable.run(
            ["agent", "add", "--name", "B", "--type", "t", "--config", "@" + configPath],
            home: home
        )
        expectOneLineFailure(result, mentioning: "full")
        try FileManager.default.removeItem(atPath: mount.path + "/filler")
        #expect(try StoreSnapshot.take(home + "/store.sqlite") == before)
    }
}

/// A small tmpfs of our own, to make a disk full or read-only for real.
struct ScratchMount {
    let folder: TemporaryDirectory
    var path: String { folder.path }

    init(sizeKilobytes: Int) async throws {
        folder = try TemporaryDirectory(prefix: "outpost-mount")
        let result = try await runProgram(
            "/bin/mount",
            ["-t", "tmpfs", "-o", "size=\(sizeKilobytes)k", "tmpfs", folder.path]
        )
        try #require(result.status == 0, "mounting a tmpfs needs root: \(result)")
    }

    func remount(readOnly: Bool) async throws {
        let result = try await runProgram("/bin/mount", ["-o", "remount,\(readOnly ? "ro" : "rw")", folder.path])
        try #require(result.status == 0, "\(result)")
    }

    func unmount() {
        _ = try? runProgram("/bin/umount", [folder.path])
        folder.remove()
    }
}

extension BadInputTests {
    @Test(
        "numbers out of range are refused with a message naming the option, never a crash",
        arguments: [
            (["sync", "--bandwidth", "inf"], "--bandwidth"),
            (["sync", "--bandwidth", "nan"], "--bandwidth"),
            (["sync", "--daily-quota", "1e30"], "--daily-quota"),
            (["files", "put", "/etc/hostname", "--max-size", "1e30"], "--max-size"),
            (["run", "--workspace-commit-every", "1e300"], "--workspace-commit-every"),
            (["hub", "gc", "--lease-days", "999999999999999"], "--lease-days"),
            (["hub", "serve", "--lease-days", "999999999999999"], "--lease-days"),
            (["hub", "serve", "--max-body-mib", "99999999999999999"], "--max-body-mib"),
            (["hub", "serve", "--rate-limit", "inf"], "--rate-limit"),
            (["files", "gc", "--older-than", "999999999999999"], "--older-than"),
        ]
    )
    func numbersOutOfRange(arguments: [String], option: String) async throws {
        let node = try await CLINode()
        defer { node.folder.remove() }
        let home = arguments.first == "hub" ? ["--home", node.folder.appending("hub")] : []
        let result = try await node.outpost(arguments: arguments + home)
        // 64 for a usage error, 65 for bad input the command itself refuses: never a signal (SIGILL).
        #expect(result.status == 64 || result.status == 65, "refused, not a crash: \(result)")
        #expect(result.stderr.contains(option), "\(result)")
    }
}
