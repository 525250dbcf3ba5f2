import Foundation
import OutpostCore
import OutpostTesting
import Testing

/// The hub's dashboard in a real headless Chromium: signing in, the page showing live data
/// from nodes syncing through the hub, and no error in the browser's console.
@Suite("Dashboard in a browser")
struct DashboardBrowserTests {
    @Test("an operator signs in, sees tenants and nodes with what they report, and new activity on reload")
    func dashboardInChromium() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-dashboard")
        defer { folder.remove() }
        let hubHome = folder.appending("hub")
        let outpost = { (arguments: [String]) async throws -> CommandResult in
            try await OutpostExecutable.run(arguments)
        }
        #expect(try await outpost(["hub", "tenant", "add", "acme", "--home", hubHome]).status == 0)
        let added = try await outpost([
            "hub", "node", "add", "--tenant", "acme", "--name", "line-1", "--json", "--home", hubHome,
        ])
        try #require(added.status == 0, "\(added)")
        let answer = try JSONValue(parsing: added.stdout)
        let nodeID = try #require(answer["id"]?.stringValue)
        let token = folder.appending("line-1.token")
        try #require(answer["token"]?.stringValue).write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        let adminToken = folder.appending("admin.token")
        try "dashboard-secret-0123456789abcdef\n".write(toFile: adminToken, atomically: true, encoding: .utf8)
        chmod(adminToken, 0o600)

        let hub = try await HubProcess.launch(
            ["hub", "serve", "--port", "0", "--home", hubHome, "--admin-token-file", adminToken],
            readyMarker: "listening on http://127.0.0.1:"
        )
        defer { hub.stop() }
        let url = "http://127.0.0.1:\(hub.port)"

        let home = folder.appending("node")
        #expect(try await outpost(["init", "--home", home]).status == 0)
        #expect(try await outpost(["remote", "set", url, "--token-file", token, "--home", home]).status == 0)
        #expect(
            try await outpost(["agent", "add", "--name", "Camera", "--type", "vision", "--home", home]).status == 0
        )
        #expect(try await outpost(["sync", "--home", home]).status == 0)

        let browser = try await WebDriver.start()
        do {
            try await browser.open(url + "/admin")
            #expect(try await browser.title == "Sign in · Outpost hub", "an unsigned visit goes to the sign-in page")
            try await browser.type("not the token", into: "#token")
            try await browser.click("#sign-in")
            #expect(try await browser.text("#error") == "That is not the admin token.")
            // The refused sign-in is a 401, which the console notes (and reading the log clears it).
            let refused = try await browser.severeConsoleEntries()
            #expect(refused.count == 1 && refused[0].contains("401"), "\(refused)")
            try await browser.type("dashboard-secret-0123456789abcdef", into: "#token")
            try await browser.click("#sign-in")
            #expect(try await browser.title == "Outpost hub")

            let row = try await browser.text("tr[data-node='\(nodeID)']")
            #expect(row.contains("acme") && row.contains("line-1"), "\(row)")
            #expect(row.contains("0.1.0"), "the release the node reported: \(row)")
            #expect(try await browser.text("tr[data-tenant='acme']").hasPrefix("acme 1"), "one live node")
            let before = Int(try await browser.text("#pushed-total")) ?? -1
            #expect(before >= 1, "the agent's push is in the last hour: \(before)")

            // Live: another push through the hub shows on the next load.
            #expect(
                try await outpost(["agent", "add", "--name", "Mic", "--type", "audio", "--home", home]).status == 0
            )
            #expect(try await outpost(["sync", "--home", home]).status == 0)
            try await browser.open(url + "/admin")
            #expect(Int(try await browser.text("#pushed-total")) == before + 1)

            let severe = try await browser.severeConsoleEntries()
            #expect(severe == [], "no script error, blocked content or failed load: \(severe)")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }
}
