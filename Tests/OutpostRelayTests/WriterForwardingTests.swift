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
        let (hub, tenant) = try await Self.hub(backend, in: folder, tenantPrefix: "writers")
        defer { hub.close() }
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

    @Test(
        "a change's push priority is kept with the row for the site hub's relay; one out of 1…10 is refused",
        arguments: ["sqlite", "postgres"]
    )
    func prioritiesAreKept(backend: String) async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-priorities")
        defer { folder.remove() }
        let (hub, tenant) = try await Self.hub(backend, in: folder, tenantPrefix: "priorities")
        defer { hub.close() }
        let node = try await hub.addNode(tenant: tenant, name: "line-1")
        let client = HubClient(
            remote: try RemoteConfiguration(url: "http://127.0.0.1:1", token: node.token),
            transport: hub.transport
        )
        func change(_ key: String, base: Int64 = 0, priority: Int?) -> Change {
            Change(
                id: "c-\(key)-\(base)",
                table: "readings",
                key: key,
                operation: .upsert,
                baseVersion: base,
                data: ["value": .integer(base)],
                hlc: (42 + base) << 16,
                priority: priority
            )
        }
        let refused: SyncFailure? = await {
            do {
                _ = try await client.push(PushRequest(batchID: "b0", changes: [change("bad", priority: 11)])).value
                return nil
            } catch { return error as? SyncFailure }
        }()
        #expect(refused?.hubCode == "invalid_priority", "\(String(describing: refused))")

        let first = try await client.push(
            PushRequest(
                batchID: "b1",
                changes: [change("fast", priority: 9), change("plain", priority: nil)],
                schemas: ["readings": ["value"]]
            )
        ).value
        #expect(first.results.map(\.status) == [.applied, .applied])
        // An update through the other statement (a row the hub already holds) keeps its new priority.
        let second = try await client.push(
            PushRequest(batchID: "b2", changes: [change("plain", base: 1, priority: 2)])
        ).value
        #expect(second.results.first?.status == .applied)

        let relay = try #require(try await hub.hubStorage.authenticate(tokenHash: NodeToken.hash(node.token)))
        let page = try await hub.hubStorage.pull(for: relay, after: 0, limit: 10, maximumBytes: 1 << 20, table: nil)
        let priorities = Dictionary(uniqueKeysWithValues: page.rows.map { ($0.key, $0.priority) })
        #expect(priorities == ["fast": 9, "plain": 2], "\(priorities)")
        #expect(page.rows.allSatisfy { $0.key != "bad" }, "the refused batch wrote nothing")
    }

    /// An in-process hub over `backend` with a fresh tenant.
    private static func hub(_ backend: String, in folder: TemporaryDirectory, tenantPrefix: String) async throws
        -> (InProcessHub, String)
    {
        let database: HubDatabase =
            backend == "sqlite"
            ? .sqlite(path: folder.appending("hub.sqlite"))
            : try HubDatabase(
                parsing: try #require(ProcessInfo.processInfo.environment["OUTPOST_TEST_POSTGRES_URL"])
            )
        let hub = try await InProcessHub(database: database)
        let tenant = tenantPrefix + String(UUID().uuidString.prefix(8)).lowercased()
        try await hub.addTenant(tenant)
        return (hub, tenant)
    }
}
