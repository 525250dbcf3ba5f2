import Foundation
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

/// Issue 15, item 5: every waiting pull re-queried the database every 50 ms (100 idle long
/// polls used 48 % of a core), and once a conflict had moved the tenant's sequence past its
/// last row, every check ran a pull in a write transaction. Waiters now follow the database's
/// change feed: counted here by the hub's own metric, not timed.
@Suite("Waiting pulls do no work until something changes", .serialized)
struct WaitingPullTests {
    static func checks(_ hub: HubProcess) async throws -> Int {
        let text = try await HubHTTPClient(baseURL: hub.url, token: "").send("/metrics", method: "GET").body
        let line = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("outpost_hub_pull_wait_checks_total ") }
        )
        return try #require(Int(line.split(separator: " ").last ?? ""))
    }

    static func change(_ key: String, base: Int64 = 0) -> PushRequest {
        PushRequest(
            batchID: UUID().uuidString,
            changes: [
                Change(
                    id: UUID().uuidString,
                    table: "readings",
                    key: key,
                    operation: .upsert,
                    baseVersion: base,
                    data: ["v": 1],
                    hlc: 1
                )
            ]
        )
    }

    @Test(
        "idle waiting pulls make no checks; a push through another hub process wakes them at once",
        arguments: HubBackend.allCases
    )
    func idleAndWoken(backend: HubBackend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let arguments = try LiveHubTests.databaseArguments(backend, folder: folder)
        let writer = try await LiveHubTests.registerNode(arguments)
        let reader = try await LiveHubTests.addNode(tenant: writer.tenant, arguments)
        let hubA = try await HubProcess.start(arguments: arguments)
        defer { hubA.stop() }
        let hubB = try await HubProcess.start(arguments: arguments)
        defer { hubB.stop() }
        let pushing = HubHTTPClient(baseURL: hubA.url, token: writer.token)
        _ = try await pushing.push(Self.change("first"))
        let cursor = try await HubHTTPClient(baseURL: hubB.url, token: reader.token).pull(after: 0).cursor

        // A conflict moves the tenant's sequence past its last row.
        let conflict = try await pushing.push(Self.change("first", base: 0))
        #expect(conflict.results.first?.status == .conflict)

        // Six pulls (the HTTP client keeps at most 8 connections to a host) wait on hub B, for less than the periodic recheck (10 s): only a wake
        // can bring them the row.
        let waiting = HubHTTPClient(baseURL: hubB.url, token: reader.token)
        let polls = (0..<6).map { _ in Task { try await waiting.pull(after: cursor, waitMilliseconds: 8_000) } }
        try await eventually("the pulls wait on hub B") {
            try await HubHTTPClient(baseURL: hubB.url, token: "").send("/metrics", method: "GET").body
                .contains("\noutpost_hub_pull_waiters 6.0\n")
        }
        try await eventually("each pull made its first check") { try await Self.checks(hubB) >= 6 }
        // Hub B's SQLite watcher reports the conflict's sequence up to 250 ms late, waking the
        // pulls once more; count from after that.
        try await Task.sleep(for: .seconds(1))
        let before = try await Self.checks(hubB)
        try await Task.sleep(for: .seconds(2))
        let idle = try await Self.checks(hubB) - before
        #expect(idle == 0, "6 idle pulls made \(idle) database checks in 2 s")

        _ = try await pushing.push(Self.change("second"))
        for poll in polls {
            #expect(try await poll.value.rows.map(\.key) == ["second"])
        }
    }
}
