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
/// the wait check, the pull) unless its database URL says
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

    @Test("a pull's text depends only on its shape (scoped or not, one table or all), so each shape is one statement")
    func pullShapes() throws {
        func pull(buckets: [String]?, table: String?, cursor: Int64, limit: Int) -> PostgresQuery {
            var node = AuthenticatedNode(id: "n\(cursor)", tenantID: "acme\(limit)", tokenHash: "h")
            if let buckets {
                let rules = try! ScopeRules(
                    parsing: #"{"tables": {"readings": {"rows": {"column": "site", "in": "node.sites"}}}}"#
                )
                node.scope = NodeScope(
                    rules: rules,
                    nodeID: node.id,
                    nodeName: "n",
                    attributes: NodeAttributes(["sites": buckets.joined(separator: ",")])
                )
            }
            return PostgresHubStorage.pullStatement(
                node: node,
                cursor: cursor,
                limit: limit,
                maximumBytes: 1 << 20,
                table: table
            )
        }
        func shapes(of query: PostgresQuery) -> [String] {
            PostgresHotStatements.pullShapes.filter { $0.sql == query.sql }.map { $0.name }
        }
        for (cursor, limit) in [(0, 1), (42, 500), (9_000_000, 1000)] as [(Int64, Int)] {
            #expect(shapes(of: pull(buckets: nil, table: nil, cursor: cursor, limit: limit)) == ["outpost_pull_v1"])
            #expect(
                shapes(of: pull(buckets: nil, table: "agents", cursor: cursor, limit: limit))
                    == ["outpost_pull_table_v1"]
            )
            // One site, three, or a hundred: the buckets are one bound array.
            for sites in [["berlin"], ["berlin", "paris", "rome"], (0..<100).map { "s\($0)" }] {
                let scoped = pull(buckets: sites, table: nil, cursor: cursor, limit: limit)
                #expect(shapes(of: scoped) == ["outpost_pull_scoped_v1"], "\(sites.count) sites")
                #expect(scoped.binds.count == pull(buckets: ["x"], table: nil, cursor: 0, limit: 1).binds.count)
                #expect(
                    shapes(of: pull(buckets: sites, table: "readings", cursor: cursor, limit: limit))
                        == ["outpost_pull_scoped_table_v1"]
                )
            }
        }
    }

    @Test("a hub answers the same with prepared statements on and off, and only 'on' prepares them")
    func sameAnswersBothWays() async throws {
        try await withHub(.postgres) { setup, setupClient in
            // Written through an ordinary hub; read through one whose client holds one connection.
            let tenant = try await TestTenant.make(in: setup)
            let writer = HubClient(client: setupClient, token: tenant.token)
            _ = try await writer.push(batch(upsert("a1", ["name": "A"]), upsert("a2", ["name": "B"])))
            _ = try await writer.push(batch(upsert("a1", ["name": "A2"], base: 1)))
            // A scoped node (two sites of three) and a row that moves out of its scope.
            let sites = try await TestTenant.make(in: setup)
            _ = try await setup.setScopes(
                tenant: sites.name,
                rules: ScopeRules(
                    parsing: #"{"tables": {"readings": {"rows": {"column": "site", "in": "node.sites"}}}}"#
                )
            )
            _ = try await setup.setAttributes(
                nodeID: sites.nodeIDs[0],
                attributes: NodeAttributes(["sites": "berlin,paris"])
            )
            let siteWriter = HubClient(client: setupClient, token: sites.token)
            _ = try await siteWriter.push(
                batch(
                    upsert("r1", ["site": "berlin"], table: "readings"),
                    upsert("r2", ["site": "rome"], table: "readings"),
                    upsert("r3", ["site": "paris"], table: "readings"),
                    upsert("a1", ["name": "shared"])
                )
            )
            _ = try await siteWriter.push(batch(upsert("r3", ["site": "rome"], table: "readings", base: 1)))
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
                    let scoped = try #require(try await storage.authenticate(tokenHash: NodeToken.hash(sites.token)))
                    #expect(scoped.scope?.buckets.count == 3)
                    let all = try await storage.pull(
                        for: scoped,
                        after: 0,
                        limit: 100,
                        maximumBytes: 1 << 20,
                        table: nil
                    )
                    let readings = try await storage.pull(
                        for: scoped,
                        after: 0,
                        limit: 100,
                        maximumBytes: 1 << 20,
                        table: "readings"
                    )
                    return (page.rows + later.rows + all.rows + readings.rows).map {
                        "\($0.key) v\($0.version) \($0.deleted ? "gone" : $0.data ?? "")"
                    }
                }
                pulled[prepares] = rows
                let ours = prepared.filter { $0.hasPrefix("outpost_") }
                if prepares {
                    #expect(
                        ours == [
                            "outpost_authenticate_v1", "outpost_pull_scoped_table_v1", "outpost_pull_scoped_v1",
                            "outpost_pull_v1", "outpost_wait_state_v1",
                        ]
                    )
                } else {
                    #expect(ours == [])
                }
            }
            // The scoped node: the shared row, Berlin's, and Paris's row gone to Rome; then its readings.
            #expect(
                pulled[true]?.map { $0.prefix(5) }
                    == ["a2 v1", "a1 v2", "a1 v2", "r1 v1", "a1 v1", "r3 v2", "r1 v1", "r3 v2"]
            )
            #expect(pulled[true]?.filter { $0.hasPrefix("r3") }.allSatisfy { $0.hasSuffix("gone") } == true)
            #expect(pulled[true]?[2].contains("A2") == true)
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
