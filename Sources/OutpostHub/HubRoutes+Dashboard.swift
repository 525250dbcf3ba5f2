import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OutpostProtocol

/// The operator's dashboard at `/admin`: server-rendered HTML behind the admin token
/// (`hub serve --admin-token-file F`), off when the hub has none. A browser signs in at
/// `/admin/login`; scripts may send the token as a bearer token.
extension HubRoutes {
    func registerDashboard(on router: Router<HubRequestContext>) {
        router.get("/admin") { request, _ in try await dashboard(request) }
        router.get("/admin/login") { _, _ in try loginPage(error: nil, status: .ok) }
        router.post("/admin/login") { request, context in try await signIn(request, context: context) }
        router.post("/admin/logout") { _, _ in signOut() }
        // Browsers ask for it with every page; nothing, rather than a 404 in their console.
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
    }

    private func session() throws -> AdminSession {
        guard let token = configuration.adminToken else {
            throw HubError(
                .notFound,
                code: "dashboard_off",
                "The dashboard is off: start the hub with an admin token file to turn it on."
            )
        }
        return AdminSession(token: token)
    }

    private func dashboard(_ request: Request) async throws -> Response {
        let session = try session()
        guard session.admits(cookieHeader: request.headers[.cookie], authorization: request.headers[.authorization])
        else {
            return Response(status: .seeOther, headers: [.location: "/admin/login"])
        }
        let page = DashboardPage(
            version: OutpostVersion.current,
            backend: storage.backendName,
            now: Date(),
            lease: configuration.offlineLease,
            tenants: try await storage.tenants(),
            nodes: try await storage.nodes(tenant: nil),
            chunkUsage: try await storage.chunkUsage(),
            activity: activity.lastHour()
        )
        return Self.html(page.html, status: .ok)
    }

    private func loginPage(error: String?, status: HTTPResponse.Status) throws -> Response {
        _ = try session()
        let message = error.map { "<p class=\"error\" id=\"error\">\(HTML.escape($0))</p>" } ?? ""
        return Self.html(
            HTML.page(
                title: "Sign in · Outpost hub",
                body: """
                    <form class="login" method="post" action="/admin/login"><h1>Outpost hub</h1>\
                    <label for="token">Admin token</label>\
                    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>\
                    \(message)<button type="submit" id="sign-in">Sign in</button></form>
                    """
            ),
            status: status
        )
    }

    private func signIn(_ request: Request, context: HubRequestContext) async throws -> Response {
        let session = try session()
        let body = try await codec.bytes(from: request)
        let form = Self.formFields(String(decoding: body.readableBytesView, as: UTF8.self))
        guard let token = form["token"], session.isToken(token) else {
            // A wrong token costs the same wait whatever it was, and a little of it.
            try await Task.sleep(for: .milliseconds(250))
            return try loginPage(error: "That is not the admin token.", status: .unauthorized)
        }
        var cookie = "\(AdminSession.cookieName)=\(session.cookieValue); Path=/admin; HttpOnly; SameSite=Strict"
        if configuration.tls != nil { cookie += "; Secure" }
        return Response(status: .seeOther, headers: [.location: "/admin", .setCookie: cookie])
    }

    private func signOut() -> Response {
        Response(
            status: .seeOther,
            headers: [
                .location: "/admin/login",
                .setCookie: "\(AdminSession.cookieName)=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
            ]
        )
    }

    private static func html(_ text: String, status: HTTPResponse.Status) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        for (name, value) in HTML.securityHeaders {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
