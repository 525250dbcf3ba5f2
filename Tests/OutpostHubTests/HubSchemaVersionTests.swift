import Foundation
import GRDB
import Logging
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostHub

/// A hub refuses a database a newer hub upgraded, on both backends, before it changes anything.
@Suite("Hub: a database a newer hub upgraded")
struct HubSchemaVersionTests {
    @Test("the PostgreSQL schema's fingerprint is the one its generation names")
    func generationPinsFingerprint() {
        // Changed a statement of the PostgreSQL migration? Raise `schemaGeneration` by one and
        // put the new fingerprint here: an older hub then refuses the database this one migrates.
        #expect(PostgresHubStorage.schemaGeneration == 1)
        #expect(
            PostgresHubStorage.migrationFingerprint
                == "b13ca3285692626f80c0552ad17abc501fb397de8596918bb296a0bd98595b0c"
        )
    }

    @Test(
        "a hub refuses a database with a schema it does not know, and leaves it as it was",
        arguments: HubBackend.allCases
    )
    func refusesNewerDatabase(backend: HubBackend) async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-hub-schema")
        defer { folder.remove() }
        let database: HubDatabase
        var ownURL = ""
        var dropDatabase: (@Sendable () async throws -> Void)?
        switch backend {
        case .sqlite:
            database = .sqlite(path: folder.appending("hub.sqlite"))
        case .postgres:
            // A database of its own: the other tests share the cluster's.
            let url = try HubBackend.postgresURL()
            let name = "outpost_schema_\(UUID().uuidString.prefix(8).lowercased())"
            try await psql(url, "CREATE DATABASE \(name)")
            let own = try #require(url.range(of: "/", options: .backwards)).lowerBound
            ownURL = String(url[..<own]) + "/" + name
            database = try HubDatabase(parsing: ownURL)
            dropDatabase = { try await psql(url, "DROP DATABASE \(name) WITH (FORCE)") }
        }
        var logger = Logger(label: "outpost.hub.test")
        logger.logLevel = .warning
        try await database.withStorage(logger: logger, pingLimit: .seconds(60)) { storage in
            _ = try await storage.addTenant(name: "kept")
        }

        // What a newer hub leaves behind.
        let marking: String
        switch backend {
        case .sqlite:
            let queue = try DatabaseQueue(path: folder.appending("hub.sqlite"))
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
            }
            marking = "'v99: from the future'"
        case .postgres:
            try await psql(
                ownURL,
                """
                ALTER TABLE outpost_hub_schema ADD COLUMN IF NOT EXISTS generation INTEGER NOT NULL DEFAULT 0;
                UPDATE outpost_hub_schema SET generation = 99;
                """
            )
            marking = "schema generation 99"
        }

        await #expect {
            try await database.withStorage(logger: logger, pingLimit: .seconds(60)) { _ in }
        } throws: { error in
            let message = "\(error)"
            return (error as? OutpostError)?.code == .failedPrecondition && message.contains(marking)
                && message.contains("newer Outpost hub")
        }

        // Left as it was: without the newer schema's mark, this hub opens it with its tenant.
        switch backend {
        case .sqlite:
            let queue = try DatabaseQueue(path: folder.appending("hub.sqlite"))
            try await queue.write { db in
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v99: from the future'")
            }
        case .postgres:
            try await psql(ownURL, "UPDATE outpost_hub_schema SET generation = 0")
        }
        let tenants = try await database.withStorage(logger: logger, pingLimit: .seconds(60)) { storage in
            try await storage.tenants().map(\.name)
        }
        #expect(tenants == ["kept"])
        try await dropDatabase?()
    }

    private func psql(_ url: String, _ sql: String) async throws {
        let result = try await runProgram("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        try #require(result.status == 0, "psql: \(result)")
    }
}
