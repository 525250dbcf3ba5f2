import Foundation
import Logging
import OutpostCore
import OutpostTesting
import Testing

@testable import OutpostHub

/// The hub's storage backends; protocol tests run once against each.
enum HubBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The PostgreSQL server the tests use. `scripts/test.sh` starts a throwaway cluster and sets
    /// it; without it the PostgreSQL tests fail rather than skip.
    static func postgresURL() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"],
            "Set OUTPOST_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway PostgreSQL and sets it)."
        )
    }

    func database(in folder: TemporaryDirectory) throws -> HubDatabase {
        switch self {
        case .sqlite: .sqlite(path: folder.appending("hub.sqlite"))
        case .postgres: try HubDatabase(parsing: try Self.postgresURL())
        }
    }

    /// Runs `body` with this backend's storage open, migrated and its client running.
    func withStorage<T: Sendable>(_ body: @Sendable (any HubStorage) async throws -> T) async throws -> T {
        let folder = try TemporaryDirectory(prefix: "outpost-hub")
        defer { folder.remove() }
        var logger = Logger(label: "outpost.hub.test")
        logger.logLevel = .warning
        // Hundreds of tests start at once on two cores: the first answer may take longer than a
        // command's ten seconds without anything being wrong.
        return try await database(in: folder).withStorage(logger: logger, pingLimit: .seconds(60), body)
    }
}

/// A tenant with registered nodes, made fresh for each test so tests never share data.
struct TestTenant: Sendable {
    let name: String
    /// Tokens of the tenant's nodes, by node id.
    let tokens: [String: String]

    var nodeIDs: [String] { tokens.keys.sorted() }

    static func make(in storage: any HubStorage, nodes: Int = 1) async throws -> TestTenant {
        var ids = UUIDv7()
        let name = "t" + ids.next().replacingOccurrences(of: "-", with: "")
        _ = try await storage.addTenant(name: name)
        var tokens: [String: String] = [:]
        for index in 0..<nodes {
            let token = NodeToken.generate()
            let node = try await storage.addNode(tenant: name, name: "node-\(index)", tokenHash: NodeToken.hash(token))
            tokens[node.id] = token
        }
        return TestTenant(name: name, tokens: tokens)
    }

    /// The token of the tenant's first node (by id).
    var token: String { tokens[nodeIDs[0]]! }
}
