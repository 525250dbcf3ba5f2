import Foundation
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostHub

/// The hub's PostgreSQL password need not be in `--database`, where every local user reads it
/// in `ps` (issue 15, item 17): a 0600 file or `$PGPASSWORD` gives it instead.
@Suite("The hub's PostgreSQL password from a file or the environment")
struct HubDatabasePasswordTests {
    static let url = "postgres://outpost@db.example:5432/outpost"

    func passwordFile(_ text: String, mode: Int, in folder: TemporaryDirectory) throws -> String {
        let path = folder.appending("pg-password")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    static func password(of database: HubDatabase) -> String? {
        guard case .postgres(_, _, _, let password, _, _, _) = database else { return nil }
        return password
    }

    @Test("a 0600 file gives the password (its trailing newline dropped); $PGPASSWORD does when there is no file")
    func sources() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = try passwordFile("s3cret\n", mode: 0o600, in: folder)
        let parsed = try HubDatabase(parsing: Self.url)
        #expect(Self.password(of: try parsed.withPassword(fromFile: file, environment: [:])) == "s3cret")
        #expect(Self.password(of: try parsed.withPassword(fromFile: nil, environment: ["PGPASSWORD": "env"])) == "env")
        #expect(Self.password(of: try parsed.withPassword(fromFile: nil, environment: [:])) == nil)
        let inline = try HubDatabase(parsing: "postgres://outpost:inline@db.example/outpost")
        #expect(
            Self.password(of: try inline.withPassword(fromFile: nil, environment: ["PGPASSWORD": "env"])) == "inline"
        )
        #expect(!parsed.description.contains("s3cret"))
    }

    @Test("a file others can read, a password given twice, or a file with SQLite is refused")
    func refusals() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let open = try passwordFile("s3cret", mode: 0o644, in: folder)
        #expect(throws: OutpostError.self) {
            try HubDatabase(parsing: Self.url).withPassword(fromFile: open, environment: [:])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: open)
        #expect(throws: OutpostError.self) {
            try HubDatabase(parsing: "postgres://outpost:x@db.example/outpost").withPassword(
                fromFile: open,
                environment: [:]
            )
        }
        #expect(throws: OutpostError.self) {
            try HubDatabase.sqlite(path: "/tmp/hub.sqlite").withPassword(fromFile: open, environment: [:])
        }
    }

    @Test("hub commands take --database-password-file against a real PostgreSQL; a readable file is one clear line")
    func commandLine() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = try passwordFile("unused-with-trust-auth\n", mode: 0o600, in: folder)
        let url = try HubBackend.postgresURL()
        let listed = try await runProgram(
            OutpostExecutable.path,
            ["hub", "tenant", "list", "--json", "--database", url, "--database-password-file", file]
        )
        #expect(listed.status == 0, "\(listed)")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        expectOneLineFailure(
            try await runProgram(
                OutpostExecutable.path,
                ["hub", "tenant", "list", "--database", url, "--database-password-file", file]
            ),
            mentioning: "readable by others"
        )
        let inline = try await runProgram(
            OutpostExecutable.path,
            ["hub", "tenant", "list", "--database", url.replacingOccurrences(of: "postgres@", with: "postgres:pw@")]
        )
        #expect(inline.status == 0, "\(inline)")
        #expect(inline.stderr.contains("visible to every local user"))
    }
}
