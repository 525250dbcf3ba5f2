import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

@testable import OutpostHub

/// Runs `body` against an in-process hub over `backend`.
func withHub(
    _ backend: HubBackend,
    configuration: HubConfiguration = HubConfiguration(),
    _ body: @escaping @Sendable (any HubStorage, any TestClientProtocol) async throws -> Void
) async throws {
    try await backend.withStorage { storage in
        var logger = Logger(label: "outpost.hub.test")
        logger.logLevel = .error
        let app = buildHubApplication(configuration: configuration, storage: storage, logger: logger)
        try await app.test(.router) { client in try await body(storage, client) }
    }
}

@Suite("Hub protocol", .serialized)
struct HubProtocolTests {
    @Test(
        "push then pull returns the row; versions count up; a retried batch changes nothing",
        arguments: HubBackend.allCases
    )
    func pushPullRetry(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let first = batch(upsert("a1", ["name": "Cam", "fps": 5]), upsert("a2", ["name": "Mic", "fps": 1]))
            let response = try await node.push(first)
            #expect(response.results.map(\.status) == [.applied, .applied])
            #expect(response.results.map(\.version) == [1, 1])
            #expect(response.sequence == 2)

            let retried = try await node.push(first)
            #expect(retried == response)
            #expect(try await storage.lastSequence(tenantID: try #require(await tenantID(storage, tenant))) == 2)

            let update = try await node.push(batch(upsert("a1", ["fps": 10], base: 1, partial: true)))
            #expect(update.results[0].status == .applied && update.results[0].version == 2)
            let pulled = try await node.pullAll()
            #expect(pulled.cursor == 3)
            #expect(pulled.rows.map(\.key) == ["a2", "a1"])
            #expect(pulled.rows.last?.data == ["name": "Cam", "fps": 10])
            #expect(pulled.rows.last?.version == 2)
            #expect(try await node.pull(after: 3).rows.isEmpty)
        }
    }

    @Test(
        "a stale base version answers conflict with the hub's row; a future one is refused",
        arguments: HubBackend.allCases
    )
    func conflicts(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let b = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[1]]!)
            _ = try await a.push(batch(upsert("a1", ["name": "A"])))
            _ = try await a.push(batch(upsert("a1", ["name": "A2"], base: 1)))
            let stale = try await b.push(batch(upsert("a1", ["name": "B"], base: 1), upsert("a9", ["name": "new"])))
            #expect(stale.results[0].status == .conflict)
            #expect(stale.results[0].version == 2)
            #expect(stale.results[0].current?.data == ["name": "A2"])
            #expect(stale.results[0].current?.origin == tenant.nodeIDs[0])
            #expect(stale.results[1].status == .applied)

            let before = try await a.pullAll()
            let future = try await b.send(batch(upsert("a1", ["name": "B"], base: 7), upsert("a5", ["name": "x"])))
            #expect(future.status == .conflict)
            #expect(errorCode(future) == "future_base_version")
            #expect(try await a.pullAll().rows == before.rows)
        }
    }

    @Test(
        "two nodes creating the same key: the second gets a conflict; a mixed batch keeps order",
        arguments: HubBackend.allCases
    )
    func concurrentCreates(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let b = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[1]]!)
            _ = try await a.push(batch(upsert("same", ["name": "from A"]), upsert("u", ["name": "u1"])))
            let mixed = try await b.push(
                batch(
                    upsert("new1", ["name": "n1"]),
                    upsert("same", ["name": "from B"]),
                    upsert("u", ["name": "u2"], base: 1),
                    upsert("new2", ["name": "n2"])
                )
            )
            #expect(mixed.results.map(\.status) == [.applied, .conflict, .applied, .applied])
            #expect(mixed.results[1].current?.data == ["name": "from A"])
            let sequences = mixed.results.compactMap(\.sequence)
            #expect(sequences == sequences.sorted() && Set(sequences).count == 3)
            let rows = try await a.pullAll(after: 2).rows
            #expect(Set(rows.map(\.key)) == ["new1", "u", "new2"])
            #expect(rows.map(\.sequence) == rows.map(\.sequence).sorted())
            #expect(try await a.pullAll().rows.first { $0.key == "same" }?.data == ["name": "from A"])
        }
    }

    @Test("deletes become tombstones that pull returns", arguments: HubBackend.allCases)
    func tombstones(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            _ = try await node.push(batch(upsert("a1", ["name": "A"])))
            let deleted = try await node.push(batch(delete("a1", base: 1)))
            #expect(deleted.results[0].status == .applied && deleted.results[0].version == 2)
            let rows = try await node.pullAll().rows
            #expect(rows.count == 1 && rows[0].deleted && rows[0].data == nil)
            // Deleting what the hub never had is a no-op, not an error.
            let nothing = try await node.push(batch(delete("ghost", base: 0)))
            #expect(nothing.results[0].status == .applied && nothing.results[0].version == 0)
        }
    }

    @Test(
        "tombstones go once every live node passed them; a node behind the collected history must resync",
        arguments: HubBackend.allCases
    )
    func leaseAndResync(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let b = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[1]]!)
            _ = try await a.push(batch(upsert("a1", ["name": "A"]), upsert("a2", ["name": "B"])))
            _ = try await b.pull(after: 0)  // b confirms nothing yet: its cursor stays 0
            _ = try await a.push(batch(delete("a1", base: 1)))  // tombstone at sequence 3
            let lease = Duration.seconds(30 * 24 * 3600)

            // b is live and has not passed the tombstone: it stays. (Counts in reports cover every
            // tenant of the database, so the tests look at this tenant's rows instead.)
            _ = try await storage.collectGarbage(lease: lease, now: Date())
            #expect(try await b.pull(after: 2).rows.map(\.key) == ["a1"])

            // Both nodes confirm cursor 3: the tombstone goes, and cursors at 3 keep working.
            _ = try await a.pull(after: 3)
            _ = try await b.pull(after: 3)
            var report = try await storage.collectGarbage(lease: lease, now: Date())
            #expect(report.tombstones >= 1)
            #expect(try await a.pull(after: 0).rows.map(\.key) == ["a2"])
            #expect(try await b.pull(after: 3).rows.isEmpty)

            // A node more than the lease behind: its missing tombstones are collected, and it is told.
            _ = try await a.push(batch(delete("a2", base: 1)))  // tombstone at sequence 4
            report = try await storage.collectGarbage(lease: lease, now: Date().addingTimeInterval(31 * 24 * 3600))
            #expect(report.tombstones >= 1)
            let behind = try await b.raw("/v1/pull?after=3", method: .get)
            #expect(behind.status == .gone)
            #expect(errorCode(behind) == ProtocolErrorCode.resyncRequired)
            // A full resync from 0 works, and its own writes still go up.
            #expect(try await b.pull(after: 0).rows.isEmpty)
            #expect(try await b.push(batch(upsert("b1", ["name": "mine"]))).results[0].status == .applied)
        }
    }

    /// Issue 15, item 7: on PostgreSQL a pull read the tombstone floor and then the rows in two
    /// statements; a collection committing between them took the tombstones without raising the
    /// floor the pull had read, so a node missed deletions without the 410 that says so. Here
    /// the collection holds the rows table until it commits, so a pull that starts meanwhile
    /// always meets it half-way.
    @Test("on PostgreSQL a pull meeting a tombstone collection sees all of it: the 410, not a silent gap")
    func pullAndCollectionShareASnapshot() async throws {
        let url = try HubBackend.postgresURL()
        try await withHub(.postgres) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let b = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[1]]!)
            _ = try await a.push(batch(upsert("a1", ["name": "A"]), upsert("a2", ["name": "B"])))
            #expect(try await b.pull(after: 0).cursor == 2)
            _ = try await a.push(batch(delete("a1", base: 1)))  // tombstone at sequence 3
            let tenantID = "(SELECT id FROM outpost_tenants WHERE name = '\(tenant.name)')"
            let collection = """
                BEGIN; LOCK TABLE outpost_records IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.5);
                DELETE FROM outpost_records WHERE tenant_id = \(tenantID) AND deleted;
                UPDATE outpost_tenants SET tombstone_floor = 3 WHERE id = \(tenantID); COMMIT;
                """
            let collector = Task {
                try await runProgram("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", collection])
            }
            try await eventually("the collection holds the rows table") {
                let locks = try await runProgram(
                    "/usr/bin/psql",
                    [
                        url, "-tAc",
                        "SELECT count(*) FROM pg_locks WHERE relation = 'outpost_records'::regclass "
                            + "AND mode = 'AccessExclusiveLock' AND granted",
                    ]
                )
                return locks.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
            }
            let pulled = try await b.raw("/v1/pull?after=2", method: .get)
            #expect(try await collector.value.status == 0)
            #expect(pulled.status == .gone, "\(pulled.status) \(String(buffer: pulled.body).prefix(200))")
            #expect(errorCode(pulled) == ProtocolErrorCode.resyncRequired)
        }
    }

    /// A node killed mid-push retries its batch at once, while the hub may still be committing
    /// the first attempt. The retry waited for the tenant's lock, but read the stored answers
    /// with the snapshot its statement began with, so it missed the first attempt's answer,
    /// applied the batch again and failed on the batch's key: a 500 for a legal retry (seen in
    /// `FaultTests` "a node killed with SIGKILL mid-push…", PostgreSQL case). Here the tenant's
    /// row is held while both attempts start, so the second always waits behind the first; the
    /// holder then gives it up (its statement cancelled, so its transaction rolls back).
    @Test("on PostgreSQL a batch sent again while its first attempt commits gets the stored answer, not a 500")
    func retryWhileFirstAttemptCommits() async throws {
        let url = try HubBackend.postgresURL()
        try await withHub(.postgres) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let request = batch(upsert("a1", ["name": "A"]), upsert("a2", ["name": "B"]))
            let holder = try await PostgresRowHolder(
                url: url,
                locking: "SELECT 1 FROM outpost_tenants WHERE name = '\(tenant.name)'"
            )
            let first = Task { try await node.send(request) }
            try await holder.waitUntilBlocking(1, "the first attempt waits for the tenant's row")
            let second = Task { try await node.send(request) }
            try await holder.waitUntilBlocking(2, "both attempts wait for it")
            try await holder.release()
            let answers = try await [first.value, second.value]
            for answer in answers {
                #expect(answer.status == .ok, "\(answer.status) \(String(buffer: answer.body).prefix(200))")
            }
            #expect(String(buffer: answers[0].body) == String(buffer: answers[1].body), "the stored answer, twice")
            let rows = try await node.pullAll().rows
            #expect(rows.map(\.key) == ["a1", "a2"] && rows.allSatisfy { $0.version == 1 }, "applied once: \(rows)")
        }
    }

    /// Issue 15, item 2: 420 legal rows of 0.93 MB made one page larger than a node accepts, so
    /// every pull failed, and one pull of 5,000 such rows cost the hub 1.15 GB.
    @Test(
        "a pull page stops at the hub's byte budget; following more brings every row once",
        arguments: HubBackend.allCases
    )
    func pullByteBudget(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let large = String(repeating: "r", count: 400_000)
            for part in 0..<4 {
                let changes = (0..<10).map { upsert("big-\(part * 10 + $0)", ["name": .string(large)]) }
                _ = try await node.push(PushRequest(batchID: UUID().uuidString, changes: changes, schemas: [:]))
            }
            let first = try await node.pull(after: 0, limit: 1000)
            let bytes = first.rows.reduce(0) { $0 + ($1.data?.encoded().utf8.count ?? 0) }
            #expect(first.more && first.rows.count < 40, "\(first.rows.count) rows in one page")
            #expect(bytes <= HubLimits().maximumPullBytes, "\(bytes) bytes in one page")
            let all = try await node.pullAll()
            #expect(all.rows.map(\.key) == (0..<40).map { "big-\($0)" })
        }
    }

    @Test("a row larger than the pull budget travels alone, so every row can be pulled", arguments: HubBackend.allCases)
    func rowOverPullBudget(backend: HubBackend) async throws {
        var configuration = HubConfiguration()
        configuration.limits.maximumPullBytes = 100_000
        try await withHub(backend, configuration: configuration) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            _ = try await node.push(
                batch(
                    upsert("small-1", ["name": "s"]),
                    upsert("huge", ["name": .string(String(repeating: "h", count: 300_000))]),
                    upsert("small-2", ["name": "s"])
                )
            )
            let first = try await node.pull(after: 0)
            #expect(first.rows.map(\.key) == ["small-1"] && first.more)
            let second = try await node.pull(after: first.cursor)
            #expect(second.rows.map(\.key) == ["huge"] && second.more)
            let third = try await node.pull(after: second.cursor)
            #expect(third.rows.map(\.key) == ["small-2"] && !third.more)
        }
    }

    /// Issue 15, item 4: one push declaring 300,000 columns slowed every later push of its
    /// tenant, and other tenants' pushes waited behind it.
    @Test("columns declared across pushes count toward the per-table limit", arguments: HubBackend.allCases)
    func columnsAccumulate(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let node = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            let first = try await node.send(
                batch(upsert("a1", ["name": "A"]), schemas: ["grow": (0..<1_500).map { "a\($0)" }])
            )
            #expect(first.status == .ok)
            let second = try await node.send(
                batch(upsert("a2", ["name": "B"]), schemas: ["grow": (0..<600).map { "b\($0)" }])
            )
            #expect(second.status == .unprocessableContent && errorCode(second) == "too_many_columns")
            let third = try await node.send(
                batch(upsert("a3", ["name": "C"]), schemas: ["grow": (0..<400).map { "b\($0)" }])
            )
            #expect(third.status == .ok, "up to the limit is fine: \(String(buffer: third.body))")
        }
    }

    @Test("a node sees and changes only its own tenant's data", arguments: HubBackend.allCases)
    func tenantIsolation(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let first = try await TestTenant.make(in: storage)
            let second = try await TestTenant.make(in: storage)
            let a = HubClient(client: client, token: first.token)
            let b = HubClient(client: client, token: second.token)
            _ = try await a.push(batch(upsert("a1", ["name": "secret"])))
            #expect(try await b.pullAll().rows.isEmpty)
            // Same key in the other tenant: a separate row, base 0 applies, the first is untouched.
            let other = try await b.push(batch(upsert("a1", ["name": "theirs"])))
            #expect(other.results[0].status == .applied && other.results[0].version == 1)
            #expect(try await a.pullAll().rows.map(\.data) == [["name": "secret"]])
            // A batch id is scoped to the tenant: reusing one there is a fresh batch.
            #expect(try await b.pullAll().rows.count == 1)
        }
    }

    @Test(
        "a revoked token stops working at once; unknown and missing tokens are refused",
        arguments: HubBackend.allCases
    )
    func revocation(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            #expect(try await node.raw("/v1/pull", method: .get).status == .ok)
            try await storage.revokeNode(id: tenant.nodeIDs[0])
            let revoked = try await node.raw("/v1/pull", method: .get)
            #expect(revoked.status == .unauthorized && errorCode(revoked) == "invalid_token")
            let missing = try await client.executeRequest(uri: "/v1/pull", method: .get, headers: [:], body: nil)
            #expect(missing.status == .unauthorized && errorCode(missing) == "unauthenticated")
        }
    }

    @Test("past the rate limit: 429 with Retry-After", arguments: HubBackend.allCases)
    func rateLimit(backend: HubBackend) async throws {
        var configuration = HubConfiguration()
        configuration.requestsPerSecond = 0.5
        configuration.requestBurst = 2
        try await withHub(backend, configuration: configuration) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            #expect(try await node.raw("/v1/pull", method: .get).status == .ok)
            #expect(try await node.raw("/v1/pull", method: .get).status == .ok)
            let limited = try await node.raw("/v1/pull", method: .get)
            #expect(limited.status == .tooManyRequests)
            #expect(errorCode(limited) == "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }

    @Test("bad input gets a 4xx JSON error and changes nothing", arguments: HubBackend.allCases)
    func badInput(backend: HubBackend) async throws {
        var configuration = HubConfiguration()
        configuration.limits.maximumBodyBytes = 64 * 1024
        configuration.limits.maximumFieldBytes = 1024
        try await withHub(backend, configuration: configuration) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            _ = try await node.push(batch(upsert("a1", ["name": "A", "fps": 1])))
            let before = try await node.pullAll()
            let cases: [(String, ByteBuffer, HTTPFields, HTTPResponse.Status, String)] = [
                (
                    "malformed JSON", ByteBuffer(string: #"{"batch_id": "x", "changes": [}"#), [:], .badRequest,
                    "invalid_json"
                ),
                (
                    "wrong type", ByteBuffer(string: #"{"batch_id": "x", "changes": [{"id": 1}]}"#), [:], .badRequest,
                    "invalid_body"
                ),
                ("missing field", ByteBuffer(string: #"{"changes": []}"#), [:], .badRequest, "invalid_body"),
                (
                    "name twice", ByteBuffer(string: #"{"batch_id": "x", "batch_id": "y", "changes": []}"#), [:],
                    .badRequest, "invalid_json"
                ),
                (
                    "U+0000 in batch id", ByteBuffer(string: #"{"batch_id": "x\u0000", "changes": []}"#), [:],
                    .badRequest, "invalid_batch_id"
                ),
                (
                    "bad encoding", ByteBuffer(string: "{}"), [.contentEncoding: "br"], .unsupportedMediaType,
                    "unsupported_encoding"
                ),
                (
                    "corrupt gzip", ByteBuffer(string: "not gzip"), [.contentEncoding: "gzip"], .badRequest,
                    "invalid_encoding"
                ),
                (
                    "body too large", ByteBuffer(repeating: UInt8(ascii: " "), count: 100_000), [:], .contentTooLarge,
                    "body_too_large"
                ),
                ("gzip bomb", try gzipBomb(), [.contentEncoding: "gzip"], .contentTooLarge, "body_too_large"),
            ]
            for (name, body, headers, status, code) in cases {
                let response = try await node.raw("/v1/push", method: .post, body: body, headers: headers)
                #expect(response.status == status, "\(name)")
                #expect(errorCode(response) == code, "\(name): \(String(buffer: response.body))")
            }
            let batches: [(String, PushRequest, HTTPResponse.Status, String)] = [
                (
                    "unknown column", batch(upsert("a2", ["name": "B"]), upsert("a1", ["nope": 1], base: 1)),
                    .unprocessableContent, "unknown_column"
                ),
                (
                    "bad table name", batch(upsert("a3", ["name": "C"]), upsert("x", ["a": 1], table: "bad;table")),
                    .badRequest, "invalid_name"
                ),
                (
                    "Outpost's own table",
                    batch(upsert("a3", ["name": "C"]), upsert("x", ["a": 1], table: "outpost_settings")),
                    .badRequest, "reserved_name"
                ),
                (
                    "SQLite's own table",
                    batch(upsert("a3", ["name": "C"]), upsert("x", ["a": 1], table: "SQLITE_master")),
                    .badRequest, "reserved_name"
                ),
                (
                    "columns declared for GRDB's own table",
                    batch(upsert("a3", ["name": "C"]), schemas: ["Grdb_Migrations": ["id"]]), .badRequest,
                    "reserved_name"
                ),
                (
                    "duplicate key", batch(upsert("a4", ["name": "D"]), upsert("a4", ["name": "E"])), .badRequest,
                    "duplicate_key"
                ),
                (
                    "oversize field", batch(upsert("a5", ["name": .string(String(repeating: "x", count: 2000))])),
                    .contentTooLarge, "field_too_large"
                ),
                (
                    "data on delete",
                    batch(
                        Change(
                            id: "d",
                            table: "agents",
                            key: "a1",
                            operation: .delete,
                            baseVersion: 1,
                            data: ["x": 1],
                            hlc: 1
                        )
                    ), .badRequest, "unexpected_data"
                ),
                ("partial new row", batch(upsert("a6", ["name": "F"], partial: true)), .badRequest, "invalid_partial"),
                ("negative base", batch(upsert("a7", ["name": "G"], base: -1)), .badRequest, "invalid_base_version"),
                ("data not object", batch(upsert("a8", [1, 2])), .badRequest, "invalid_data"),
                (
                    "U+0000 in a field", batch(upsert("a9", ["name": "I"]), upsert("a10", ["name": "x\u{0}y"])),
                    .badRequest, "invalid_text"
                ),
                ("U+0000 in a key", batch(upsert("a\u{0}11", ["name": "J"])), .badRequest, "invalid_text"),
                ("empty key", batch(upsert("", ["name": "K"])), .badRequest, "invalid_key"),
                (
                    "key over the limit", batch(upsert(String(repeating: "k", count: 513), ["name": "L"])), .badRequest,
                    "invalid_key"
                ),
                (
                    "file name climbing out",
                    batch(upsert("../../etc/cron.d/x", ["name": "../../etc/cron.d/x"], table: "files")),
                    .badRequest, "invalid_file_name"
                ),
                (
                    "absolute file name", batch(upsert("/etc/passwd", ["size": 1], table: "files")), .badRequest,
                    "invalid_file_name"
                ),
                (
                    "file name with a terminal escape", batch(upsert("a\u{1B}[2Jb", ["size": 1], table: "files")),
                    .badRequest, "invalid_file_name"
                ),
                (
                    "file key fine, name column not", batch(upsert("ok.txt", ["name": "../x"], table: "files")),
                    .badRequest, "invalid_file_name"
                ),
                (
                    "2,001 columns declared for a table",
                    batch(upsert("a15", ["name": "P"]), schemas: ["wide": (0...2_000).map { "c\($0)" }]),
                    .unprocessableContent, "too_many_columns"
                ),
                (
                    "a new table's first row with 2,001 columns",
                    batch(
                        upsert(
                            "w1",
                            .object(
                                Dictionary(uniqueKeysWithValues: (0...2_000).map { ("c\($0)", JSONValue.integer(1)) })
                            ),
                            table: "wide_row"
                        )
                    ),
                    .unprocessableContent, "too_many_columns"
                ),
                (
                    "501 tables declared in one push",
                    batch(
                        upsert("a16", ["name": "Q"]),
                        schemas: Dictionary(uniqueKeysWithValues: (0...500).map { ("t\($0)", ["c"]) })
                    ),
                    .unprocessableContent, "too_many_tables"
                ),
                (
                    "change id twice",
                    batch(upsert("a12", ["name": "M"], id: "same"), upsert("a13", ["name": "N"], id: "same")),
                    .badRequest, "duplicate_change_id"
                ),
                (
                    "change id over the limit",
                    batch(upsert("a14", ["name": "O"], id: String(repeating: "i", count: 129))),
                    .badRequest, "invalid_change_id"
                ),
            ]
            for (name, request, status, code) in batches {
                let response = try await node.send(request)
                #expect(response.status == status, "\(name)")
                #expect(errorCode(response) == code, "\(name): \(String(buffer: response.body))")
            }
            let bad = try await node.raw("/v1/pull?limit=0", method: .get)
            #expect(bad.status == .badRequest && errorCode(bad) == "invalid_parameter")
            #expect(try await node.pullAll().rows == before.rows)
        }
    }

    @Test(
        "key and id limits count bytes, so no text can slip past them (issue 15, item 8)",
        arguments: HubBackend.allCases
    )
    func limitsCountBytes(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let longest = String(repeating: "é", count: 256)  // 512 bytes
            let accepted = try await node.send(
                batch(upsert(longest, ["name": "A"], id: String(repeating: "ü", count: 64)))
            )
            #expect(accepted.status == .ok, "\(String(buffer: accepted.body))")
            let refused = try await node.send(batch(upsert(longest + "e", ["name": "B"])))
            #expect(refused.status == .badRequest && errorCode(refused) == "invalid_key")
            // One character (a grapheme cluster) of 200,001 bytes: refused, never stored or a 500.
            let cluster = "a" + String(repeating: "\u{301}", count: 100_000)
            let huge = try await node.send(batch(upsert(cluster, ["name": "C"])))
            #expect(huge.status == .badRequest && errorCode(huge) == "invalid_key", "\(huge.status)")
            let hugeID = try await node.send(batch(upsert("k", ["name": "D"], id: cluster)))
            #expect(hugeID.status == .badRequest && errorCode(hugeID) == "invalid_change_id", "\(hugeID.status)")
            let hugeBatch = try await node.send(batch(upsert("k", ["name": "E"]), id: cluster))
            #expect(
                hugeBatch.status == .badRequest && errorCode(hugeBatch) == "invalid_batch_id",
                "\(hugeBatch.status)"
            )
            #expect(try await node.pullAll().rows.map(\.key) == [longest])
        }
    }

    @Test(
        "numbers PostgreSQL's numeric cannot hold are stored as doubles, not refused with a 500",
        arguments: HubBackend.allCases
    )
    func extremeNumbers(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let body =
                #"{"batch_id": "b1", "changes": [{"id": "c1", "table": "agents", "key": "a1", "op": "upsert", "base_version": 0, "hlc": 1, "data": {"tiny": 1e-20000, "small": 2.5E-7, "big": 123456789012345678901234, "long": 0.\#(String(repeating: "1", count: 17_000))}}]}"#
            let response = try await node.raw("/v1/push", method: .post, body: ByteBuffer(string: body))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let rows = try await node.pullAll().rows
            #expect(rows.count == 1)
            // 1e-20000 underflows to 0 (the test client's JSONDecoder reads 0.0 back as an integer).
            #expect([.double(0), .integer(0)].contains(rows.first?.data?["tiny"]))
            #expect(rows.first?.data?["small"] == .double(2.5e-7))
            #expect(rows.first?.data?["big"] == .double(123456789012345678901234))
            #expect(rows.first?.data?["long"] == .double(1.0 / 9.0))
        }
    }

    @Test("new columns are accepted when the pushing node declares them", arguments: HubBackend.allCases)
    func declaredColumns(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            _ = try await node.push(batch(upsert("r1", ["value": 1], table: "readings")))
            let declared = try await node.push(
                batch(
                    upsert("r2", ["value": 2, "unit": "C"], table: "readings"),
                    schemas: ["readings": ["value", "unit"]]
                )
            )
            #expect(declared.results[0].status == .applied)
        }
    }

    @Test("gzip bodies are accepted; responses are gzipped when the client asks", arguments: HubBackend.allCases)
    func compression(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let changes = (0..<50).map { upsert("k\($0)", ["name": .string(String(repeating: "n", count: 100))]) }
            var json = ByteBuffer(bytes: try JSONEncoder().encode(PushRequest(batchID: "gz", changes: changes)))
            let compressed = try json.compress(with: .gzip())
            let response = try await node.raw(
                "/v1/push",
                method: .post,
                body: compressed,
                headers: [.contentEncoding: "gzip"]
            )
            #expect(response.status == .ok)
            let pulled = try await node.raw("/v1/pull", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(pulled.headers[.contentEncoding] == "gzip")
            var body = pulled.body
            let plain = try body.decompress(with: .gzip())
            #expect(try JSONDecoder().decode(PullResponse.self, from: Data(plain.readableBytesView)).rows.count == 50)
        }
    }

    @Test(
        "a node revoked while its pull waits gets 401, not the tenant's rows (issue 15, item 9)",
        arguments: HubBackend.allCases
    )
    func revokedWhileWaiting(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            async let waited = node.raw("/v1/pull?after=0&wait_ms=20000", method: .get)
            try await eventually("the pull waits on the hub") {
                let metrics = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
                return String(buffer: metrics.body).contains("\noutpost_hub_pull_waiters 1.0\n")
            }
            try await storage.revokeNode(id: tenant.nodeIDs[0])
            let response = try await waited
            #expect(response.status == .unauthorized)
            #expect(errorCode(response) == "invalid_token")
        }
    }

    @Test(
        "a batch_id reused for other changes is refused with 409, even with the same number of changes (issue 15, item 6)",
        arguments: HubBackend.allCases
    )
    func reusedBatchID(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let first = batch(upsert("a1", ["name": "first"]), id: "reused")
            #expect(try await node.send(first).status == .ok)
            // The same batch again is a retry: the stored answer, nothing new written.
            let retried = try await node.send(first)
            #expect(retried.status == .ok)
            // Other changes under the same id (one change, as before) must not be answered
            // "applied" while nothing of them is written.
            let other = try await node.send(batch(upsert("a2", ["name": "second"]), id: "reused"))
            #expect(other.status == .conflict, "\(String(buffer: other.body))")
            #expect(errorCode(other) == "batch_id_taken")
            #expect(try await node.pullAll().rows.map(\.key) == ["a1"])
        }
    }

    @Test("a waiting pull returns as soon as a change is pushed", arguments: HubBackend.allCases)
    func longPoll(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let b = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[1]]!)
            async let waited = b.pull(after: 0, waitMilliseconds: 10_000)
            try await eventually("the pull waits on the hub") {
                let metrics = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
                return String(buffer: metrics.body).contains("\noutpost_hub_pull_waiters 1.0\n")
            }
            let pushed = ContinuousClock.now
            _ = try await a.push(batch(upsert("a1", ["name": "A"])))
            let rows = try await waited.rows
            #expect(rows.map(\.key) == ["a1"])
            #expect(ContinuousClock.now - pushed < .seconds(5))
            // With nothing to return, the wait ends at its limit with no rows.
            let empty = try await b.pull(after: 1, waitMilliseconds: 100)
            #expect(empty.rows.isEmpty && empty.cursor == 1)
        }
    }

    @Test("a pull cursor never skips a change, with concurrent pushers and a puller", arguments: HubBackend.allCases)
    func cursorNeverSkips(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 5)
            let pushers = tenant.nodeIDs.prefix(4).map { HubClient(client: client, token: tenant.tokens[$0]!) }
            let puller = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[4]]!)
            let batchesEach = 15
            let perBatch = 20
            let expected = pushers.count * batchesEach * perBatch
            try await withThrowingTaskGroup(of: Set<String>.self) { group in
                for (index, pusher) in pushers.enumerated() {
                    group.addTask {
                        for round in 0..<batchesEach {
                            let changes = (0..<perBatch).map { upsert("p\(index)-\(round)-\($0)", ["name": "x"]) }
                            _ = try await pusher.push(PushRequest(batchID: UUID().uuidString, changes: changes))
                        }
                        return []
                    }
                }
                group.addTask {
                    // Follow the cursor while the pushers run; every key is written once, so a
                    // skipped sequence number would be a missing key.
                    var seen = Set<String>()
                    var cursor: Int64 = 0
                    let deadline = ContinuousClock.now + .seconds(60)
                    while seen.count < expected, ContinuousClock.now < deadline {
                        let page = try await puller.pull(after: cursor, limit: 37)
                        for row in page.rows { seen.insert(row.key) }
                        cursor = page.cursor
                    }
                    return seen
                }
                var seen = Set<String>()
                for try await keys in group { seen.formUnion(keys) }
                #expect(seen.count == expected)
            }
        }
    }

    @Test("health, metrics and the OpenAPI document", arguments: HubBackend.allCases)
    func healthAndMetrics(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let health = try await client.executeRequest(uri: "/health", method: .get, headers: [:], body: nil)
            #expect(health.status == .ok)
            let decoded = try JSONDecoder().decode(HealthResponse.self, from: Data(health.body.readableBytesView))
            #expect(decoded.database == storage.backendName)
            let tenant = try await TestTenant.make(in: storage)
            _ = try await HubClient(client: client, token: tenant.token).push(batch(upsert("a1", ["name": "A"])))
            let metrics = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            let text = String(buffer: metrics.body)
            #expect(text.contains("outpost_hub_changes_applied_total 1"))
            #expect(text.contains(#"outpost_hub_requests_total{route="/v1/push",status="200"} 1"#))
            #expect(text.contains("outpost_hub_pull_waiters 0.0"))
            let unknown = try await client.executeRequest(uri: "/nowhere", method: .get, headers: [:], body: nil)
            #expect(unknown.status == .notFound && errorCode(unknown) == "not_found")
        }
    }
}

/// A gzip body that inflates far past any sane limit.
func gzipBomb() throws -> ByteBuffer {
    var zeros = ByteBuffer(repeating: UInt8(ascii: "0"), count: 10 << 20)
    return try zeros.compress(with: .gzip())
}

func tenantID(_ storage: any HubStorage, _ tenant: TestTenant) async throws -> String? {
    try await storage.tenants().first { $0.name == tenant.name }?.id
}
