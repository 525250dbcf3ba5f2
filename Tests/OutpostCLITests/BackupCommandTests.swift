import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// `outpost backup` / `restore` refuse what would lose or expose data, with one clear line and
/// nothing changed: a file they would overwrite, a home that holds a node, an archive that is
/// not a node's backup or would write outside the home.
@Suite("Backup and restore: refusals")
struct BackupCommandTests {
    /// A node with a row, backed up to `folder/node.tar`.
    private static func backedUpNode() async throws -> (node: CLINode, archive: String) {
        let node = try await CLINode()
        _ = try await node.outpost("agent", "add", "--name", "A", "--type", "t", "--id", "a1")
        let archive = node.folder.appending("node.tar")
        let backup = try await node.outpost("backup", "--to", archive)
        try #require(backup.status == 0, "\(backup)")
        return (node, archive)
    }

    @Test("a backup never overwrites a file, and a restore never writes over a node")
    func neverOverwrites() async throws {
        let (node, archive) = try await Self.backedUpNode()
        defer { node.folder.remove() }
        let before = try Data(contentsOf: URL(fileURLWithPath: archive))
        expectOneLineFailure(try await node.outpost("backup", "--to", archive), mentioning: "never overwrites")
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == before)

        let snapshot = try node.snapshot()
        expectOneLineFailure(
            try await node.outpost("restore", "--from", archive),
            mentioning: "already holds files"
        )
        #expect(try node.snapshot() == snapshot)
    }

    @Test("an archive with a name outside the home, or none of a node's files, is refused and nothing is made")
    func refusesForeignArchives() async throws {
        let (node, archive) = try await Self.backedUpNode()
        defer { node.folder.remove() }
        let folder = node.folder.appending("craft")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/evil"))
        // A member named ../evil, as a hostile archive would carry.
        let escaping = node.folder.appending("escaping.tar")
        let made = try await runProgram(
            "/usr/bin/env",
            ["tar", "-cf", escaping, "-C", folder, "--transform", "s,^,../,", "evil"]
        )
        try #require(made.status == 0, "\(made)")
        let plain = node.folder.appending("plain.tar")
        #expect(try await runProgram("/usr/bin/env", ["tar", "-cf", plain, "-C", folder, "evil"]).status == 0)

        for (candidate, message) in [(escaping, "not part of a node's home"), (plain, "not part of a node's home")] {
            let target = node.folder.appending("restored-\(UUID().uuidString)")
            let result = try await OutpostExecutable.run(["restore", "--from", candidate, "--home", target])
            expectOneLineFailure(result, mentioning: message)
            #expect(!FileManager.default.fileExists(atPath: target), "nothing made at \(target)")
        }
        #expect(!FileManager.default.fileExists(atPath: node.folder.path + "/evil"), "nothing written outside")
        let missing = try await OutpostExecutable.run(
            ["restore", "--from", node.folder.appending("none.tar"), "--home", node.folder.appending("x")]
        )
        expectOneLineFailure(missing, mentioning: "Cannot read the backup")
        // The real one still restores.
        let target = node.folder.appending("restored")
        #expect(try await OutpostExecutable.run(["restore", "--from", archive, "--home", target]).status == 0)
    }

    @Test("hub backup and restore work on a SQLite hub and say where to look for PostgreSQL")
    func hubBackupRefusals() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hub = ["--home", folder.appending("hub")]
        expectOneLineFailure(
            try await OutpostExecutable.run(["hub", "backup", "--to", folder.appending("b.sqlite")] + hub),
            mentioning: "No hub database"
        )
        #expect(try await OutpostExecutable.run(["hub", "tenant", "add", "acme"] + hub).status == 0)
        let backup = folder.appending("b.sqlite")
        #expect(try await OutpostExecutable.run(["hub", "backup", "--to", backup] + hub).status == 0)
        expectOneLineFailure(
            try await OutpostExecutable.run(["hub", "backup", "--to", backup] + hub),
            mentioning: "never overwrites"
        )
        let notAHub = folder.appending("not-a-hub.sqlite")
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: notAHub))
        expectOneLineFailure(
            try await OutpostExecutable.run(["hub", "restore", "--from", notAHub, "--yes"] + hub),
            mentioning: "Nothing was restored"
        )
        expectOneLineFailure(
            try await OutpostExecutable.run(
                ["hub", "backup", "--to", folder.appending("pg"), "--database", "postgres://u@127.0.0.1:9/db"]
            ),
            mentioning: "pg_dump"
        )
        let tenants = try await OutpostExecutable.run(["hub", "tenant", "list", "--json"] + hub)
        #expect(tenants.stdout.contains("acme"), "the refused restore changed nothing: \(tenants)")
    }
}
