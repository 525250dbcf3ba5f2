import Foundation
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

/// The hub as users run it: `outpost hub serve` as a process on 127.0.0.1, set up with the
/// `outpost hub` commands, spoken to over real HTTP.
@Suite("Live hub processes", .serialized)
struct LiveHubTests {
    /// `--home` for SQLite, `--database` for PostgreSQL.
    static func databaseArguments(_ backend: HubBackend, folder: TemporaryDirectory) throws -> [String] {
        switch backend {
        case .sqlite: ["--home", folder.path]
        case .postgres: ["--database", try HubBackend.postgresURL()]
        }
    }

    /// A new tenant and node made with the CLI; returns the node's id and token.
    static func registerNode(_ arguments: [String]) async throws -> (tenant: String, id: String, token: String) {
        var ids = UUIDv7()
        let tenant = "live" + ids.next().replacingOccurrences(of: "-", with: "")
        let added = try await runProgram(OutpostExecutable.path, ["hub", "tenant", "add", tenant] + arguments)
        try #require(added.status == 0, "\(added)")
        return try await addNode(tenant: tenant, arguments)
    }

    static func addNode(tenant: String, _ arguments: [String]) async throws -> (
        tenant: String, id: String, token: String
    ) {
        let node = try await runProgram(
            OutpostExecutable.path,
            ["hub", "node", "add", "--tenant", tenant, "--json"] + arguments
        )
        try #require(node.status == 0, "\(node)")
        let json = try JSONValue(parsing: node.stdout)
        return (tenant, try #require(json["id"]?.stringValue), try #require(json["token"]?.stringValue))
    }

    /// A batch of one new row.
    static func oneRow(table: String = "agents", key: String = "a1", data: JSONValue = ["name": "A"]) -> PushRequest {
        PushRequest(
            batchID: UUID().uuidString,
            changes: [
                Change(
                    id: UUID().uuidString,
                    table: table,
                    key: key,
                    operation: .upsert,
                    baseVersion: 0,
                    data: data,
                    hlc: 1
                )
            ]
        )
    }

    @Test(
        "serve, push and pull over HTTP; a revocation from the CLI takes effect at once; SIGTERM stops cleanly",
        arguments: HubBackend.allCases
    )
    func serveOverHTTP(backend: HubBackend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let arguments = try Self.databaseArguments(backend, folder: folder)
        let node = try await Self.registerNode(arguments)
        let hub = try await HubProcess.start(arguments: arguments)
        defer { hub.stop() }
        let client = HubHTTPClient(baseURL: hub.url, token: node.token)

        let health = try await client.send("/health", method: "GET")
        #expect(health.status == 200 && health.body.contains(backend == .sqlite ? "sqlite" : "postgresql"))
        let pushed = try await client.push(
            Self.oneRow()
        )
        #expect(pushed.results[0].status == .applied)
        #expect(try await client.pull(after: 0).rows.map(\.key) == ["a1"])

        let revoked = try await runProgram(OutpostExecutable.path, ["hub", "node", "revoke", node.id] + arguments)
        #expect(revoked.status == 0)
        #expect(try await client.send("/v1/pull", method: "GET").status == 401)

        #expect(await hub.stop() == 0, "the hub should exit cleanly on SIGTERM: \(hub.log)")
    }

    @Test(
        "rotate-token: the old token stops at once, even for a waiting pull; id and cursor stay; a revoked node gets none",
        arguments: HubBackend.allCases
    )
    func rotateToken(backend: HubBackend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let arguments = try Self.databaseArguments(backend, folder: folder)
        let node = try await Self.registerNode(arguments)
        let hub = try await HubProcess.start(arguments: arguments)
        defer { hub.stop() }
        let old = HubHTTPClient(baseURL: hub.url, token: node.token)
        let pushed = try await old.push(
            Self.oneRow()
        )
        let head = try #require(pushed.results.first?.sequence)
        _ = try await old.pull(after: head)

        // A pull that waits for changes with the old token, while the token is replaced (the
        // longest wait the hub allows, so a slow start of the command cannot outlast it).
        let waiting = Task { try await old.send("/v1/pull?after=\(head)&wait_ms=30000", method: "GET") }
        try await Self.waitForOnePull(on: hub)
        let rotated = try await runProgram(
            OutpostExecutable.path,
            ["hub", "node", "rotate-token", node.id, "--json"] + arguments
        )
        try #require(rotated.status == 0, "\(rotated)")
        let answer = try JSONValue(parsing: rotated.stdout)
        #expect(answer["id"]?.stringValue == node.id)
        let token = try #require(answer["token"]?.stringValue)
        #expect(token != node.token)
        let ended = try await waiting.value
        #expect(ended.status == 401, "the waiting pull ends with the old token refused: \(ended.status) \(ended.body)")

        #expect(try await old.send("/v1/pull?after=0", method: "GET").status == 401)
        let renewed = HubHTTPClient(baseURL: hub.url, token: token)
        #expect(try await renewed.pull(after: 0).rows.map(\.key) == ["a1"])
        let listed = try await runProgram(OutpostExecutable.path, ["hub", "node", "list", "--json"] + arguments)
        guard case .array(let nodes) = try JSONValue(parsing: listed.stdout) else {
            Issue.record("hub node list --json is not an array: \(listed)")
            return
        }
        let entry = try #require(nodes.first { $0["id"]?.stringValue == node.id })
        #expect(entry["cursor"] == JSONValue.integer(head), "the cursor stays: \(entry)")
        #expect(entry["head"] == JSONValue.integer(head) && entry["lag"] == 0, "\(entry)")
        #expect(entry["past_lease"] == false, "\(entry)")

        #expect(
            try await runProgram(OutpostExecutable.path, ["hub", "node", "revoke", node.id] + arguments).status == 0
        )
        let refused = try await runProgram(
            OutpostExecutable.path,
            ["hub", "node", "rotate-token", node.id] + arguments
        )
        expectOneLineFailure(refused, mentioning: "a revocation is final")
        expectOneLineFailure(
            try await runProgram(OutpostExecutable.path, ["hub", "node", "rotate-token", "nobody"] + arguments),
            mentioning: "No node with id 'nobody'"
        )
    }

    @Test(
        "tenant rm deletes the tenant's rows, chunks and nodes at once and leaves other tenants alone",
        arguments: HubBackend.allCases
    )
    func removeTenant(backend: HubBackend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let arguments = try Self.databaseArguments(backend, folder: folder)
        let doomed = try await Self.registerNode(arguments)
        let kept = try await Self.registerNode(arguments)
        let hub = try await HubProcess.start(arguments: arguments)
        defer { hub.stop() }
        for node in [doomed, kept] {
            let client = HubHTTPClient(baseURL: hub.url, token: node.token)
            let pushed = try await client.push(
                Self.oneRow()
            )
            #expect(pushed.results.first?.status == .applied)
        }
        expectOneLineFailure(
            try await runProgram(OutpostExecutable.path, ["hub", "tenant", "rm", doomed.tenant] + arguments),
            mentioning: "add --yes"
        )
        // The longest wait the hub allows: on a loaded machine starting `tenant rm` can take
        // seconds, and the pull must still be waiting when the tenant goes.
        let waiting = Task {
            try await HubHTTPClient(baseURL: hub.url, token: doomed.token).send(
                "/v1/pull?after=100&wait_ms=30000",
                method: "GET"
            )
        }
        try await Self.waitForOnePull(on: hub)
        let removed = try await runProgram(
            OutpostExecutable.path,
            ["hub", "tenant", "rm", doomed.tenant, "--yes", "--json"] + arguments
        )
        try #require(removed.status == 0, "\(removed)")
        let report = try JSONValue(parsing: removed.stdout)
        #expect(report["nodes"] == 1 && report["rows"] == 1, "\(report)")
        let ended = try await waiting.value
        #expect(ended.status == 401, "the removed node's waiting pull ends at once: \(ended.status) \(ended.body)")
        #expect(
            try await HubHTTPClient(baseURL: hub.url, token: doomed.token).send("/v1/pull?after=0", method: "GET")
                .status == 401
        )
        let tenants = try await runProgram(OutpostExecutable.path, ["hub", "tenant", "list", "--json"] + arguments)
        #expect(!tenants.stdout.contains(doomed.tenant) && tenants.stdout.contains(kept.tenant), "\(tenants)")
        #expect(try await HubHTTPClient(baseURL: hub.url, token: kept.token).pull(after: 0).rows.map(\.key) == ["a1"])
        expectOneLineFailure(
            try await runProgram(OutpostExecutable.path, ["hub", "tenant", "rm", doomed.tenant, "--yes"] + arguments),
            mentioning: "No tenant named"
        )
    }

    @Test("a port in use is one line that says so, and a non-zero exit")
    func portInUse() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hub = try await HubProcess.start(arguments: ["--home", folder.appending("hub")])
        defer { hub.stop() }
        let second = try await runProgram(
            OutpostExecutable.path,
            ["hub", "serve", "--port", "\(hub.port)", "--home", folder.appending("hub")]
        )
        expectOneLineFailure(second, mentioning: "127.0.0.1:\(hub.port): another program already uses the port")
    }

    @Test("a hub started on an empty folder makes its tables before anything reads them: no failure logged")
    func freshHubLogsNoFailure() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hub = try await HubProcess.start(arguments: ["--home", folder.appending("hub")])
        defer { hub.stop() }
        let health = try await HubHTTPClient(baseURL: hub.url, token: "none").send("/health", method: "GET")
        #expect(health.status == 200)
        // The change follower checks every 250 ms; give it a few turns before reading the log.
        try await Task.sleep(for: .seconds(1))
        #expect(await hub.stop() == 0)
        #expect(!hub.log.contains("failed"), "\(hub.log)")
        #expect(!hub.log.contains("no such table"), "\(hub.log)")
    }

    @Test("two hub processes on one PostgreSQL serve the same tenant, and a cursor following both never skips")
    func twoHubsOnePostgres() async throws {
        let arguments = ["--database", try HubBackend.postgresURL()]
        let writer = try await Self.registerNode(arguments)
        let second = try await Self.addNode(tenant: writer.tenant, arguments)
        let reader = try await Self.addNode(tenant: writer.tenant, arguments)
        let hubA = try await HubProcess.start(arguments: arguments)
        defer { hubA.stop() }
        let hubB = try await HubProcess.start(arguments: arguments)
        defer { hubB.stop() }

        // A change pushed through A reaches a pull waiting on B (B polls the database).
        let waiting = HubHTTPClient(baseURL: hubB.url, token: reader.token)
        async let waited = waiting.pull(after: 0, waitMilliseconds: 10_000)
        try await Self.waitForOnePull(on: hubB)
        _ = try await HubHTTPClient(baseURL: hubA.url, token: writer.token).push(
            Self.oneRow(table: "readings", key: "first", data: ["v": 1])
        )
        #expect(try await waited.rows.map(\.key) == ["first"])

        // Concurrent pushes through both hubs; a puller on B follows its cursor meanwhile.
        let pushers = [
            HubHTTPClient(baseURL: hubA.url, token: writer.token),
            HubHTTPClient(baseURL: hubB.url, token: second.token),
        ]
        let rounds = 20
        let perBatch = 25
        let expected = 1 + pushers.count * rounds * perBatch
        let seen = try await withThrowingTaskGroup(of: Set<String>.self) { group in
            for (index, pusher) in pushers.enumerated() {
                group.addTask {
                    for round in 0..<rounds {
                        let changes = (0..<perBatch).map {
                            Change(
                                id: UUID().uuidString,
                                table: "readings",
                                key: "h\(index)-\(round)-\($0)",
                                operation: .upsert,
                                baseVersion: 0,
                                data: ["v": 1],
                                hlc: 1
                            )
                        }
                        _ = try await pusher.push(PushRequest(batchID: UUID().uuidString, changes: changes))
                    }
                    return []
                }
            }
            group.addTask {
                var seen = Set<String>()
                var cursor: Int64 = 0
                let deadline = ContinuousClock.now + .seconds(60)
                while seen.count < expected, ContinuousClock.now < deadline {
                    let page = try await waiting.pull(after: cursor, limit: 41)
                    seen.formUnion(page.rows.map(\.key))
                    cursor = page.cursor
                }
                return seen
            }
            var union = Set<String>()
            for try await keys in group { union.formUnion(keys) }
            return union
        }
        #expect(seen.count == expected)
    }

    /// Issue 15, item 10: `/metrics` needed no token and showed activity across tenants.
    @Test("--metrics-listen serves /metrics on a listener of its own and takes it off the API's port")
    func separateMetricsListener() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hub = try await HubProcess.start(arguments: ["--home", folder.path, "--metrics-listen", "127.0.0.1:0"])
        defer { hub.stop() }
        let marker = "metrics on http://127.0.0.1:"
        var port: Int?
        try await eventually("the metrics listener is up") {
            guard let range = hub.log.range(of: marker) else { return false }
            port = Int(hub.log[range.upperBound...].prefix { $0.isNumber })
            return port != nil
        }
        let api = HubHTTPClient(baseURL: hub.url, token: "")
        #expect(try await api.send("/metrics", method: "GET").status == 404)
        #expect(try await api.send("/health", method: "GET").status == 200)
        let scraped = try await HubHTTPClient(baseURL: "http://127.0.0.1:\(try #require(port))", token: "")
            .send("/metrics", method: "GET")
        #expect(scraped.status == 200 && scraped.body.contains("outpost_hub_requests_total{route=\"/health\""))
    }

    @Test("a bad --database is one clear line and a non-zero exit")
    func badDatabase() async throws {
        let result = try await runProgram(OutpostExecutable.path, ["hub", "serve", "--database", "mysql://x/y"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--database must be sqlite:PATH or postgres://"))
    }

    /// Waits until the hub's own gauge shows one pull waiting, so what the test does next meets it.
    static func waitForOnePull(on hub: HubProcess) async throws {
        let metrics = HubHTTPClient(baseURL: hub.url, token: "")
        try await eventually("a pull waits on the hub") {
            try await metrics.send("/metrics", method: "GET").body.contains("\noutpost_hub_pull_waiters 1.0\n")
        }
    }
}
