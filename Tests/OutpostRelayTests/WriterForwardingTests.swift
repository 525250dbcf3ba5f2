import Foundation
import OutpostCore
import OutpostHub
import OutpostProtocol
import OutpostSync
import OutpostTesting
import Testing

/// A change's writer (`origin`) crosses a hub only from a credential marked as a relay.
@Suite("Relay: writers and change ids cross only with relay credentials")
struct WriterForwardingTests {
    @Test(
        "a plain node naming another writer is refused; a relay's named writer is kept, and its pulls name change ids",
        arguments: ["sqlite", "postgres"]
    )
    func onlyRelaysNameWriters(backend: String) async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-writers")
        defer { folder.remove() }
        let database: HubDatabase =
            backend == "sqlite"
            ? .sqlite(path: folder.appending("hub.sqlite"))
            : try HubDatabase(
                parsing: try #require(ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"])
            )
        let hub = try await InProcessHub(database: database)
        defer { hub.close() }
        let tenant = "writers" + String(UUID().uuidString.prefix(8)).lowercased()
        try await hub.addTenant(tenant)
        let plain = try await hub.addNode(tenant: tenant, name: "plain")
        let site = try await hub.addNode(tenant: tenant, name: "site-1")
        let marked = try await hub.hubStorage.setRelays(nodeID: site.id, relays: true)
        #expect(marked.relays)
        func client(_ token: String) throws -> HubClient {
            HubClient(
                remote: try RemoteConfiguration(url: "http://127.0.0.1:1", token: token),
                transport: hub.transport
            )
        }
        func push(_ key: String, by token: String) async throws -> PushResponse {
            let change = Change(
                id: "c-\(key)",
                table: "notes",
                key: key,
                operation: .upsert,
                baseVersion: 0,
                data: ["body": "hello"],
                hlc: 42 << 16,
                origin: "line-1-at-the-site"
            )
            let request = PushRequest(batchID: "b-\(key)", changes: [change], schemas: ["notes": ["body"]])
            return try await client(token).push(request).value
        }

        let refused: SyncFailure? = await {
            do {
                _ = try await push("n1", by: plain.token)
                return nil
            } catch { return error as? SyncFailure }
        }()
        #expect(refused?.hubCode == ProtocolErrorCode.originNotAllowed, "\(String(describing: refused))")

        let answer = try await push("n2", by: site.token)
        #expect(answer.results.first?.status == .applied)
        let rows = try await client(plain.token).pull(after: 0, limit: 10).value.rows
        #expect(rows.map(\.key) == ["n2"], "the refused push wrote nothing")
        #expect(rows.first?.origin == "line-1-at-the-site", "the relay's named writer is the row's writer")
        #expect(rows.first?.hlc == 42 << 16, "and its stamp is the writer's")
        #expect(rows.first?.changeID == nil, "a plain node's pull names no change ids")
        let relayed = try await client(site.token).pull(after: 0, limit: 10).value.rows
        #expect(relayed.first?.changeID == "c-n2", "a relay's pull names the change that wrote each row")
    }
}
