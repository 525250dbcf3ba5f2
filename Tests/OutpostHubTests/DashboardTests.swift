import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

/// The operator's dashboard behind the admin token, and the node reports it shows, on both
/// backends (the page in a real browser: `DashboardBrowserTests` in the CLI tests).
@Suite("Hub: the operator's dashboard")
struct DashboardTests {
    static let adminToken = "an-admin-token-for-the-tests-0123456789"

    private func configuration() -> HubConfiguration {
        var configuration = HubConfiguration()
        configuration.adminToken = Self.adminToken
        return configuration
    }

    private func body(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test("without an admin token the dashboard is off", arguments: HubBackend.allCases)
    func off(backend: HubBackend) async throws {
        try await withHub(backend) { _, client in
            for path in ["/admin", "/admin/login"] {
                let answer = try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
                #expect(answer.status == .notFound)
                #expect(errorCode(answer) == "dashboard_off")
            }
        }
    }

    @Test(
        "signing in with the admin token opens the page; a wrong token, no cookie or a node's token does not",
        arguments: HubBackend.allCases
    )
    func signIn(backend: HubBackend) async throws {
        try await withHub(backend, configuration: configuration()) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let unsigned = try await client.executeRequest(uri: "/admin", method: .get, headers: [:], body: nil)
            #expect(unsigned.status == .seeOther && unsigned.headers[.location] == "/admin/login")
            let withNodeToken = try await client.executeRequest(
                uri: "/admin",
                method: .get,
                headers: [.authorization: "Bearer \(tenant.token)"],
                body: nil
            )
            #expect(withNodeToken.status == .seeOther, "a node's token is not the admin token")

            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let wrong = try await client.executeRequest(
                uri: "/admin/login",
                method: .post,
                headers: form,
                body: ByteBuffer(string: "token=guess")
            )
            #expect(wrong.status == .unauthorized)
            #expect(body(wrong).contains("That is not the admin token."))
            #expect(wrong.headers[.setCookie] == nil)

            let right = try await client.executeRequest(
                uri: "/admin/login",
                method: .post,
                headers: form,
                body: ByteBuffer(string: "token=\(Self.adminToken)")
            )
            #expect(right.status == .seeOther && right.headers[.location] == "/admin")
            let cookie = try #require(right.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            #expect(!cookie.contains(Self.adminToken), "the cookie is not the token")
            let pair = String(cookie.split(separator: ";")[0])

            let page = try await client.executeRequest(uri: "/admin", method: .get, headers: [.cookie: pair], body: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let csp = page.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(csp.contains("default-src 'none'"), "no script may run: \(csp)")
            #expect(body(page).contains(tenant.name))

            let scripted = try await client.executeRequest(
                uri: "/admin",
                method: .get,
                headers: [.authorization: "Bearer \(Self.adminToken)"],
                body: nil
            )
            #expect(scripted.status == .ok, "a script may send the admin token")
            let forged = try await client.executeRequest(
                uri: "/admin",
                method: .get,
                headers: [.cookie: "outpost_admin=\(String(repeating: "0", count: 64))"],
                body: nil
            )
            #expect(forged.status == .seeOther)
        }
    }

    @Test(
        "nodes report their release and queue; the page shows them, lag, chunk storage and activity, escaped",
        arguments: HubBackend.allCases
    )
    func showsLiveData(backend: HubBackend) async throws {
        try await withHub(backend, configuration: configuration()) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let (first, second) = (tenant.nodeIDs[0], tenant.nodeIDs[1])
            let renamed = try await storage.addNode(
                tenant: tenant.name,
                name: "<script>alert(1)</script>",
                tokenHash: NodeToken.hash(NodeToken.generate())
            )
            let node = HubClient(client: client, token: tenant.tokens[first]!)
            _ = try await node.push(batch(upsert("a1", ["name": "Cam"]), upsert("a2", ["name": "Mic"])))
            _ = try await node.pull(after: 0)
            let report = NodeReport(version: "9.9.9", pending: 3, failed: 2, parked: 1)
            let sent = try await node.raw("/v1/status", method: .post, body: ByteBuffer(string: report.json.encoded()))
            #expect(sent.status == .noContent)
            for bad in [#"{"version": "1", "pending": -1, "failed": 0, "parked": 0}"#, #"{"pending": 1}"#, "[]", "{"] {
                let refused = try await node.raw("/v1/status", method: .post, body: ByteBuffer(string: bad))
                #expect(refused.status == .badRequest, "\(bad)")
            }
            let nodes = try await storage.nodes(tenant: tenant.name)
            let reported = try #require(nodes.first { $0.id == first })
            #expect(
                reported.version == "9.9.9" && reported.failed == 2 && reported.parked == 1 && reported.pending == 3
            )
            #expect(reported.reportedAt != nil)
            #expect(nodes.first { $0.id == second }?.version == nil)

            let page = try await client.executeRequest(
                uri: "/admin",
                method: .get,
                headers: [.authorization: "Bearer \(Self.adminToken)"],
                body: nil
            )
            let html = body(page)
            #expect(html.contains("9.9.9"))
            #expect(html.contains("<td class=\"n\" data-failed><span class=\"warn\">2</span></td>"), "failed shown")
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "names are escaped")
            #expect(!html.contains("<script>"), "no script on the page")
            #expect(html.contains("<span id=\"pushed-total\">2</span>"), "the last hour's pushes")
            #expect(html.contains("data-node=\"\(renamed.id)\""))
        }
    }

    @Test("a node is past the lease once not seen (or, never seen, registered) for longer than it")
    func pastLease() {
        var node = NodeInfo(
            id: "n",
            tenant: "t",
            name: "n",
            createdAt: "2026-11-01 10:00:00",
            revokedAt: nil,
            lastSeenAt: nil,
            cursor: 0,
            head: 0
        )
        let now = Date(timeIntervalSince1970: 1_796_292_000)  // 2026-12-03 10:00:00 UTC
        #expect(node.isPastLease(.seconds(30 * 86_400), now: now), "registered 32 days ago, never seen")
        node.lastSeenAt = "2026-12-01 10:00:00"
        #expect(!node.isPastLease(.seconds(30 * 86_400), now: now))
        #expect(node.isPastLease(.seconds(3_600), now: now))
        node.lastSeenAt = "not a time"
        #expect(!node.isPastLease(.seconds(1), now: now), "an unreadable time proves nothing")
    }

    @Test("form fields are decoded as browsers send them")
    func formFields() {
        #expect(HubRoutes.formFields("token=a%2Bb+c&x=") == ["token": "a+b c", "x": ""])
        #expect(HubRoutes.formFields("") == [:])
    }

    @Test("the activity keeps one hour, per minute")
    func activity() {
        let activity = HubActivity()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        activity.recordPush(changes: 5, at: now.addingTimeInterval(-30))
        activity.recordPull(rows: 7, at: now)
        activity.recordPush(changes: 100, at: now.addingTimeInterval(-3_700))
        let hour = activity.lastHour(now: now)
        #expect(hour.count == 60)
        #expect(hour.reduce(0) { $0 + $1.pushed } == 5, "an hour ago no longer counts")
        #expect(hour.last?.pulled == 7)
    }
}
