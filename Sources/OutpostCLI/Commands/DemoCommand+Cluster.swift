import Foundation
import Logging
import OutpostCore
import OutpostHub
import OutpostMerge
import OutpostRelay
import OutpostSystem
import Synchronization

extension DemoCommand {
    /// `outpost demo --cluster`: a site working through a WAN cut and converging afterwards.
    func runCluster(in folder: String, logger: Logger) async throws {
        step("1. A cloud hub, a site hub relaying to it, two machines on the site, one at head office")
        let cloudHome = folder + "/cloud"
        let siteHome = folder + "/site"
        let cloudTokens = try await Self.register(["site-1", "head-office"], home: cloudHome, logger: logger)
        let siteTokens = try await Self.register(["line-1", "line-2"], home: siteHome, logger: logger)
        let cloud = try DemoHub.start(home: cloudHome)
        defer { cloud.stop() }
        guard let cloudPort = URL(string: cloud.url)?.port else {
            throw OutpostError(.failedPrecondition, "The demo's cloud hub gave no port: \(cloud.url)")
        }
        let wan = try DemoWANLink(cloudPort: cloudPort)
        defer { wan.close() }
        let tokenFile = folder + "/site-1.token"
        guard
            FileManager.default.createFile(
                atPath: tokenFile,
                contents: Data(cloudTokens[0].utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else {
            throw OutpostError(.storage, "The demo could not write the site's token file \(tokenFile).")
        }
        let site = try DemoHub.start(
            home: siteHome,
            arguments: [
                "--upstream", "http://127.0.0.1:\(wan.port)", "--upstream-token-file", tokenFile,
                "--upstream-interval", "0.2s",
            ]
        )
        defer { site.stop() }
        say("cloud hub \(cloud.url); site hub \(site.url), relaying to the cloud over a WAN link")
        let rules = RulesConfiguration.defaults
        let line1 = try DemoNode(
            name: "line-1",
            home: folder + "/line-1",
            hub: site.url,
            token: siteTokens[0],
            rules: rules
        )
        let line2 = try DemoNode(
            name: "line-2",
            home: folder + "/line-2",
            hub: site.url,
            token: siteTokens[1],
            rules: rules
        )
        let office = try DemoNode(
            name: "head-office",
            home: folder + "/head-office",
            hub: cloud.url,
            token: cloudTokens[1],
            rules: rules
        )

        step("2. line-1 adds a press; it reaches line-2 through the site hub and head office through the cloud")
        try line1.execute("INSERT INTO agents (id, name, type, status) VALUES ('press-1', 'Press', 'plc', 'inactive')")
        try await line1.sync()
        try await line2.sync()
        say("line-2 has: \(try line2.describe("SELECT name || ' (' || status || ')' FROM agents"))")
        try await Self.until("head office holds the press") {
            try await office.sync()
            return try !office.describe("SELECT id FROM agents WHERE id = 'press-1'").isEmpty
        }
        say("head office has: \(try office.describe("SELECT name || ' (' || status || ')' FROM agents"))")

        step("3. The WAN link goes down; the site keeps working together")
        wan.cut()
        try line1.execute("UPDATE agents SET status = 'active' WHERE id = 'press-1'")
        try await line1.sync()
        try await line2.sync()
        say(
            "line-1 starts the press; line-2 sees it at once: \(try line2.describe("SELECT status FROM agents WHERE id = 'press-1'"))"
        )
        try office.execute("UPDATE agents SET config = '{\"tonnes\":40}' WHERE id = 'press-1'")
        try office.execute("INSERT INTO agents (id, name, type) VALUES ('robot-7', 'Robot', 'arm')")
        try await office.sync()
        say("head office sets the press's config and adds a robot, on the cloud")
        try await Self.until("the site hub notices the link is down") {
            try RelayStatus.read(ledgerAt: siteHome + "/upstream.sqlite").link == "down"
        }
        let down = try RelayStatus.read(ledgerAt: siteHome + "/upstream.sqlite")
        say("site hub: link \(down.link), \(down.waiting) change(s) waiting to go up (as `outpost hub status`)")

        step("4. The link returns: everything converges")
        wan.restore()
        try await Self.until("all three machines hold the same rows") {
            for node in [line1, line2, office] { try await node.sync() }
            let contents = [try line1.syncedContents(), try line2.syncedContents(), try office.syncedContents()]
            let robot = try line1.describe("SELECT id FROM agents WHERE id = 'robot-7'")
            return contents[0] == contents[1] && contents[1] == contents[2] && !robot.isEmpty
        }
        let row = "SELECT name || ': ' || status || ', config ' || coalesce(config, '-') FROM agents ORDER BY id"
        for (name, node) in [("line-1", line1), ("line-2", line2), ("head office", office)] {
            say("\(name): \(try node.describe(row))")
        }
        let up = try RelayStatus.read(ledgerAt: siteHome + "/upstream.sqlite")
        say(
            "site hub: link \(up.link), \(up.waiting) waiting, \(up.bytesSentToday) B sent and \(up.bytesReceivedToday) B received today"
        )
        say("both edits of the press merged; line-1, line-2 and head office hold identical data ✔")
    }

    /// A hub home with tenant `demo` and `names` as its nodes; their tokens.
    private static func register(_ names: [String], home: String, logger: Logger) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return try await HubDatabase.sqlite(path: home + "/hub.sqlite").withStorage(logger: logger) { storage in
            _ = try await storage.addTenant(name: "demo")
            var tokens: [String] = []
            for name in names {
                let token = NodeToken.generate()
                _ = try await storage.addNode(tenant: "demo", name: name, tokenHash: NodeToken.hash(token))
                tokens.append(token)
            }
            return tokens
        }
    }

    /// Waits (up to 30 s) until `condition` holds.
    private static func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw OutpostError(.failedPrecondition, "The demo waited 30 s until \(what); this is a bug.")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// The demo's WAN link: a loopback relay to the cloud hub that can be cut.
private final class DemoWANLink: Sendable {
    private final class State: Sendable {
        let down = Mutex(false)
    }

    private let relay: TCPRelay
    private let state = State()

    init(cloudPort: Int) throws {
        let state = self.state
        relay = try TCPRelay(upstreamPort: cloudPort) { _, _ in state.down.withLock { $0 } }
    }

    var port: Int { relay.port }
    func cut() { state.down.withLock { $0 = true } }
    func restore() { state.down.withLock { $0 = false } }
    func close() { relay.close() }
}
