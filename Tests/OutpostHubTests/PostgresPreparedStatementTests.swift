import Foundation
import HummingbirdTesting
import Logging
import OutpostCore
import OutpostProtocol
import OutpostTesting
import PostgresNIO
import Testing

@testable import OutpostHub

/// A PostgreSQL hub prepares the statements it runs for nearly every request (the token check,
/// the wait check, an unscoped whole-log pull) unless its database URL says
/// `prepared_statements=off`, for a pooler that does not keep them. Both ways answer the same.
@Suite("PostgreSQL prepared statements", .timeLimit(.minutes(5)))
struct PostgresPreparedStatementTests {
    @Test("the database URL says whether the hub prepares statements: on unless ?prepared_statements=off")
    func parsing() throws {
        func prepares(_ text: String) throws -> Bool? {
            guard case .postgres(_, _, _, _, _, _, let prepared) = try HubDatabase(parsing: text) else { return nil }
            return prepared
        }
        #expect(try prepares("postgres://hub@db/outpost") == true)
        #expect(try prepares("postgres://hub@db/outpost?prepared_statements=on") == true)
        #expect(try prepares("postgres://hub@db/outpost?sslmode=require&prepared_statements=off") == false)
        let error = #expect(throws: OutpostError.self) {
            try HubDatabase(parsing: "postgres://hub@db/outpost?prepared_statements=yes")
        }
        #expect(error?.code == .invalidInput && error?.message.contains("use on (the default) or off") == true)
    }

    @Test("only an unscoped node's whole-log pull has the prepared pull's text, whatever its cursor and limit")
    func wholeLogShape() {
        let node = AuthenticatedNode(id: "n1", tenantID: "acme", tokenHash: "h")
        let pull = PostgresHubStorage.pullStatement(
            node: node,
            cursor: 42,
            limit: 500,
            maximumBytes: 1 << 20,
            table: nil
        )
        #expect(PostgresHotStatements.WholeLogPull(pull) != nil)
        let filtered = PostgresHubStorage.pullStatement(
            node: node,
            cursor: 42,
            limit: 500,
            maximumBytes: 1 << 20,
            table: "agents"
        )
        #expect(PostgresHotStatements.WholeLogPull(filtered) == nil)
    }

    @Test("a hub answers the same with prepared statements on and off, and only 'on' prepares them")
    func sameAnswersBothWays() async throws {
        try await withHub(.postgres) { setup, setupClient in
            // Written through an ordinary hub; read through one whose client holds one connection.
            let tenant = try await TestTenant.make(in: setup)
            let writer = HubClient(client: setupClient, token: tenant.token)
            _ = try await writer.push(batch(upsert("a1", ["name": "A"]), upsert("a2", ["name": "B"])))
            _ = try await writer.push(batch(upsert("a1", ["name": "A2"], base: 1)))
            var pulled: [Bool: [String]] = [:]
            for prepares in [true, false] {
                let (rows, prepared) = try await Self.withOneConnection(prepares: prepares) { storage in
                    let node = try #require(try await storage.authenticate(tokenHash: NodeToken.hash(tenant.token)))
                    let page = try await storage.pull(
                        for: node,
                        after: 0,
                        limit: 100,
                        maximumBytes: 1 << 20,
                        table: nil
                    )
                    let later = try await storage.pull(
                        for: node,
                        after: 2,
                        limit: 100,
                        maximumBytes: 1 << 20,
                        table: nil
                    )
                    let state = try await storage.waitState(of: node)
                    #expect(state.sequence == 3 && state.current == node)
                    return (page.rows + later.rows).map { "\($0.key) v\($0.version) \($0.data ?? "")" }
                }
                pulled[prepares] = rows
                let ours = prepared.filter { $0.hasPrefix("outpost_") }
                if prepares {
                    #expect(ours == ["outpost_authenticate_v1", "outpost_pull_v1", "outpost_wait_state_v1"])
                } else {
                    #expect(ours == [])
                }
            }
            #expect(pulled[true]?.map { $0.prefix(5) } == ["a2 v1", "a1 v2", "a1 v2"])
            #expect(pulled[true]?.last?.contains("A2") == true)
            #expect(pulled[true] == pulled[false])
        }
    }

    /// Runs `body` with a storage whose PostgreSQL client holds one connection, so the session's
    /// prepared statements can be listed afterwards (`pg_prepared_statements` is per session).
    private static func withOneConnection(
        prepares: Bool,
        _ body: @escaping @Sendable (PostgresHubStorage) async throws -> [String]
    ) async throws -> (rows: [String], prepared: [String]) {
        let url = try HubBackend.postgresURL() + (prepares ? "" : "?prepared_statements=off")
        var logger = Logger(label: "outpost.hub.test")
        logger.logLevel = .error
        // Only the client runs: the statistics refresher would share the one connection.
        let (opened, _) = try HubDatabase(parsing: url).open(logger: logger, maximumConnections: 1)
        let storage = try #require(opened as? PostgresHubStorage)
        #expect(storage.preparesStatements == prepares)
        let client = storage.client
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let rows = try await body(storage)
            var prepared: [String] = []
            for try await name in try await client.query(
                "SELECT name FROM pg_prepared_statements ORDER BY name",
                logger: logger
            ).decode(String.self) {
                prepared.append(name)
            }
            return (rows, prepared)
        }
    }
}
