import Foundation
import GRDB
import OutpostCore
import OutpostSystem
import OutpostTesting
import Testing

/// `outpost hub serve --upstream`: a site hub keeps its site syncing while the WAN is down and
/// relays to the cloud, with real processes at every level (docs/clusters.md).
@Suite("Site hubs: a hub with an upstream")
struct SiteHubTests {
    @Test(
        "two sites and the cloud: a cut site keeps syncing inside, and all converge when the link returns",
        arguments: SiteTopology.CloudBackend.allCases
    )
    func cutSiteConverges(cloud backend: SiteTopology.CloudBackend) async throws {
        try await SiteTopology.run(cloud: backend, sites: 2, nodesPerSite: 2) { fleet in
            try await cutAndConverge(fleet)
        }
    }

    private func cutAndConverge(_ fleet: SiteTopology) async throws {
        let (site1, site2) = (fleet.sites[0], fleet.sites[1])
        let (line1, line2) = (site1.nodes[0], site1.nodes[1])
        let far = site2.nodes[0]

        // Across every level: a site node's row reaches the other site and the cloud's node.
        try await line1.sql("INSERT INTO agents (id, name, type) VALUES ('a1', 'press', 'line')")
        try await line1.sync()
        try await eventually("the other site and the cloud's node hold a1", timeout: .seconds(30)) {
            for node in [far, fleet.cloudNode] {
                try await node.sync()
                guard try await node.agents().contains("\"a1\"") else { return false }
            }
            return true
        }

        // The uplink of site 1 goes down: its two nodes still see each other's edits.
        site1.link.cut()
        try await line1.sql("INSERT INTO agents (id, name, type) VALUES ('a2', 'welder', 'line')")
        try await line1.sql("UPDATE agents SET name = 'press 2' WHERE id = 'a1'")
        try await line1.sync()
        try await line2.sync()
        let inside = try await line2.agents()
        #expect(inside.contains("\"a2\"") && inside.contains("press 2"), "inside the cut site: \(inside)")

        // Meanwhile site 2 edits the same row (another column) and adds one of its own.
        try await far.sql("UPDATE agents SET type = 'stamping' WHERE id = 'a1'")
        try await far.sql("INSERT INTO agents (id, name, type) VALUES ('b1', 'robot', 'cell')")
        try await far.sync()
        try await eventually("site 1's hub says its link is down with work waiting", timeout: .seconds(30)) {
            let upstream = try await site1.status()["upstream"]
            guard case .integer(let waiting)? = upstream?["waiting"] else { return false }
            return upstream?["link"]?.stringValue == "down" && waiting >= 2
        }
        let metrics = try await HubHTTPClient(baseURL: site1.hub.url, token: "").send("/metrics", method: "GET").body
        #expect(metrics.contains("outpost_relay_link_up 0"), "the site hub's /metrics shows the link down")
        #expect(metrics.contains("outpost_relay_waiting_changes"), "\(metrics)")
        try await line2.sync()
        #expect(try await !line2.agents().contains("\"b1\""), "nothing crosses a cut link")

        // The link returns: every node holds the same rows, both edits of a1 merged.
        site1.link.restore()
        var last: [String] = []
        try await eventually("all five nodes hold the same agents", timeout: .seconds(60), every: .milliseconds(300)) {
            last = []
            for node in fleet.allNodes {
                try await node.sync()
                last.append(try await node.agents())
            }
            return Set(last).count == 1 && last[0].contains("\"b1\"") && last[0].contains("\"a2\"")
        }
        let agents = try JSONValue(parsing: last[0])
        guard case .array(let rows) = agents else {
            Issue.record("sql --json printed no array: \(last[0])")
            return
        }
        let a1 = try #require(rows.first { $0["id"]?.stringValue == "a1" })
        #expect(a1["name"]?.stringValue == "press 2", "site 1's edit: \(a1)")
        #expect(a1["type"]?.stringValue == "stamping", "site 2's edit: \(a1)")
        // Site 1's credential is a relay's: a2 keeps its writer (line 1) at the cloud, as at the site.
        let atSite = try await line2.writer(of: "agents", key: "a2")
        let atCloud = try await fleet.cloudNode.writer(of: "agents", key: "a2")
        #expect(
            atSite != nil && atSite == atCloud,
            "a2's writer at the site \(atSite ?? "-"), at the cloud \(atCloud ?? "-")"
        )
        try await eventually("site 1's hub has nothing waiting and its link up", timeout: .seconds(30)) {
            let upstream = try await site1.status()["upstream"]
            return upstream?["link"]?.stringValue == "up" && upstream?["waiting"] == .integer(0)
        }
    }

    @Test("a site hub killed mid-relay loses nothing and applies each change once at the cloud")
    func killedSiteHub() async throws {
        try await SiteTopology.run(cloud: .sqlite, sites: 1, nodesPerSite: 1) { fleet in
            let site = fleet.sites[0]
            let node = site.nodes[0]
            // Four times: a burst of rows reaches the site hub, which is killed (SIGKILL) at a
            // random moment of its relay's rounds (every 0.1 s, 500 rows a push) and started again.
            for burst in 0..<4 {
                let values = (0..<150).map { "('k\(burst)-\($0)', 'agent \($0)', 'bulk')" }.joined(separator: ", ")
                try await node.sql("INSERT INTO agents (id, name, type) VALUES \(values)")
                try await node.sync()
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...250)))
                let hub = site.hub
                try await DedicatedThread.run { hub.kill() }
                try await site.restart()
            }
            try await eventually("the cloud's node holds all 600 rows", timeout: .seconds(60)) {
                try await fleet.cloudNode.sync()
                let counted = try await fleet.cloudNode.outpost(
                    "sql",
                    "SELECT count(*) AS n FROM agents WHERE type = 'bulk'",
                    "--json"
                )
                return counted.stdout.contains("600")
            }
            let cloudFile = fleet.folder.appending("cloud/hub.sqlite")
            let versions = try await DatabaseQueue(path: cloudFile).read { db in
                try Int64.fetchOne(db, sql: "SELECT max(version) FROM outpost_records WHERE table_name = 'agents'")
            }
            #expect(versions == 1, "each row written once at the cloud, however often the relay sent it")
        }
    }

    @Test("a node moved from its site hub to the cloud and back loses no edit and duplicates no row")
    func movedNode() async throws {
        try await SiteTopology.run(cloud: .sqlite, sites: 1, nodesPerSite: 2) { fleet in
            try await move(in: fleet)
        }
    }

    private func move(in fleet: SiteTopology) async throws {
        let site = fleet.sites[0]
        let (a, b, cloudNode) = (site.nodes[0], site.nodes[1], fleet.cloudNode)
        try await cloudNode.sql("INSERT INTO agents (id, name, type) VALUES ('r1', 'orig', 'line')")
        try await cloudNode.sync()
        try await eventually("both site nodes hold r1", timeout: .seconds(30)) {
            try await a.sync()
            try await b.sync()
            let (atA, atB) = (try await a.agents(), try await b.agents())
            return atA.contains("r1") && atB.contains("r1")
        }
        // While the site is cut off, the site edits r1 once (so the row has the same version
        // number at both hubs, with different content); node a renames it, and then the cloud
        // renames it too: the cloud's is the newer edit of the same column.
        site.link.cut()
        try await b.sql("UPDATE agents SET type = 'site-b' WHERE id = 'r1'")
        try await b.sync()
        try await a.sync()
        try await a.sql("UPDATE agents SET name = 'a-name' WHERE id = 'r1'")
        try await Task.sleep(for: .milliseconds(20))
        try await cloudNode.sql("UPDATE agents SET name = 'cloud' WHERE id = 'r1'")
        try await cloudNode.sync()

        // Node a moves to the cloud with its edit unsynced.
        let cloudToken = a.folder.appending("cloud.token")
        try
            (try await SiteTopology.hub(
                ["node", "add", "--tenant", fleet.tenant, "--name", "moved-a"],
                fleet.cloudDatabase
            ))
            .write(toFile: cloudToken, atomically: true, encoding: .utf8)
        chmod(cloudToken, 0o600)
        let moved = try await a.outpost("remote", "set", fleet.cloud.url, "--token-file", cloudToken)
        try #require(moved.status == 0, "\(moved)")
        try await a.sync()
        site.link.restore()

        // The newer rename wins wherever the two meet, and the site's edit of another column stays.
        let expected = #"[{"id":"r1","name":"cloud","type":"site-b"}]"#
        func r1(_ node: CLINode) async throws -> String {
            let result = try await node.outpost(
                "sql",
                "SELECT id, name, type FROM agents WHERE id = 'r1'",
                "--json"
            )
            return String(result.stdout.filter { !$0.isWhitespace })
        }
        var seen: [String] = []
        try await eventually(
            "every node holds r1 with the newer rename and the site's type",
            timeout: .seconds(60),
            every: .milliseconds(300)
        ) {
            seen = []
            for node in [a, b, cloudNode] {
                try await node.sync()
                seen.append(try await r1(node))
            }
            return seen.allSatisfy { $0 == expected }
        }

        // And back to the site: nothing changes, nothing doubles.
        let back = try await a.outpost("remote", "set", site.hub.url, "--token-file", a.folder.appending("token"))
        try #require(back.status == 0, "\(back)")
        try await a.sync()
        #expect(try await r1(a) == expected)
        let (atA, atB) = (try await a.agents(), try await b.agents())
        #expect(atA == atB)
    }

    /// Writes r1 on `node` until `cloudNode` holds it, backs the hub at `home` up to `backup`,
    /// then renames r1 and adds r2 until the cloud holds both: what a restore of the backup loses.
    private func backUp(_ home: String, to backup: String, between node: CLINode, and cloudNode: CLINode)
        async throws -> String
    {
        try await node.sql("INSERT INTO agents (id, name, type) VALUES ('r1', 'first', 'x')")
        try await node.sync()
        try await eventually("the cloud holds r1", timeout: .seconds(30)) {
            try await cloudNode.sync()
            return try await cloudNode.name(of: "r1").contains("first")
        }
        let saved = try await OutpostExecutable.run(["hub", "backup", "--home", home, "--to", backup])
        try #require(saved.status == 0, "\(saved)")
        try await node.sql("UPDATE agents SET name = 'second' WHERE id = 'r1'")
        try await node.sql("INSERT INTO agents (id, name, type) VALUES ('r2', 'two', 'x')")
        try await node.sync()
        try await eventually("the cloud holds the rename and r2", timeout: .seconds(30)) {
            try await cloudNode.sync()
            let (r1, r2) = (try await cloudNode.name(of: "r1"), try await cloudNode.name(of: "r2"))
            return r1.contains("second") && r2.contains("two")
        }
        return backup
    }

    @Test("a site hub restored from a backup loses nothing its nodes write afterwards, and rolls nothing back upstream")
    func restoredSiteHub() async throws {
        try await SiteTopology.run(cloud: .sqlite, sites: 1, nodesPerSite: 1) { fleet in
            let site = fleet.sites[0]
            let (node, cloudNode) = (site.nodes[0], fleet.cloudNode)
            let backup = try await backUp(
                site.home,
                to: fleet.folder.appending("site-backup.sqlite"),
                between: node,
                and: cloudNode
            )
            // The site hub goes back to the backup.
            await site.hub.stop()
            let restored = try await OutpostExecutable.run([
                "hub", "restore", "--home", site.home, "--from", backup, "--yes",
            ])
            try #require(restored.status == 0, "\(restored)")
            try await site.restart()
            try await node.sync()
            // Writes after the restore reach the cloud, and the cloud keeps the rename.
            try await node.sql("INSERT INTO agents (id, name, type) VALUES ('r3', 'three', 'x')")
            try await node.sql("UPDATE agents SET name = 'two again' WHERE id = 'r2'")
            try await node.sync()
            try await eventually(
                "the cloud holds r3 and r2's new name",
                timeout: .seconds(60),
                every: .milliseconds(300)
            ) {
                try await cloudNode.sync()
                let (r2, r3) = (try await cloudNode.name(of: "r2"), try await cloudNode.name(of: "r3"))
                return r2.contains("two again") && r3.contains("three")
            }
            #expect(try await cloudNode.name(of: "r1").contains("second"), "the restore rolled nothing back upstream")
            try await SiteTopology.eventuallyAgree(node, cloudNode)
        }
    }

    @Test("a cloud hub restored from a backup gets back what the site had sent it, and the site keeps syncing")
    func restoredCloudHub() async throws {
        try await SiteTopology.run(cloud: .sqlite, sites: 1, nodesPerSite: 1) { fleet in
            let site = fleet.sites[0]
            let (node, cloudNode) = (site.nodes[0], fleet.cloudNode)
            let cloudHome = fleet.folder.appending("cloud")
            let backup = try await backUp(
                cloudHome,
                to: fleet.folder.appending("cloud-backup.sqlite"),
                between: node,
                and: cloudNode
            )
            // The cloud goes back to the backup; the site keeps writing.
            await fleet.cloud.stop()
            let restored = try await OutpostExecutable.run([
                "hub", "restore", "--home", cloudHome, "--from", backup, "--yes",
            ])
            try #require(restored.status == 0, "\(restored)")
            try await fleet.restartCloud()
            try await node.sql("INSERT INTO agents (id, name, type) VALUES ('r3', 'three', 'x')")
            try await node.sync()
            // Read at the cloud hub itself: the cloud's own node stays away, so only the site
            // hub's relay can give the cloud back what it lost.
            func atCloud(_ key: String) async throws -> String? {
                try await DatabaseQueue(path: cloudHome + "/hub.sqlite").read { db in
                    try String.fetchOne(
                        db,
                        sql: """
                            SELECT json_extract(data, '$.name') FROM outpost_records
                            WHERE table_name = 'agents' AND record_id = ? AND NOT deleted
                            """,
                        arguments: [key]
                    )
                }
            }
            try await eventually(
                "the cloud hub holds the rename, r2 and r3 again",
                timeout: .seconds(60),
                every: .milliseconds(300)
            ) {
                let names = (try await atCloud("r1"), try await atCloud("r2"), try await atCloud("r3"))
                return names == ("second", "two", "three")
            }
            try await SiteTopology.eventuallyAgree(node, cloudNode)
        }
    }

    @Test("a site hub past its WAN daily quota sends only critical changes while its nodes keep syncing together")
    func dailyQuota() async throws {
        try await SiteTopology.run(
            cloud: .sqlite,
            sites: 1,
            nodesPerSite: 2,
            siteArguments: ["--upstream-daily-quota", "1"]
        ) { fleet in
            let site = fleet.sites[0]
            let (line1, line2) = (site.nodes[0], site.nodes[1])
            try await line1.sql("INSERT INTO agents (id, name, type) VALUES ('q1', 'quota', 'x')")
            try await line1.sync()
            try await line2.sync()
            #expect(try await line2.agents().contains("q1"), "inside the site, rows still flow")
            try await eventually("the site hub says its quota is spent", timeout: .seconds(30)) {
                try await site.status()["upstream"]?["link"]?.stringValue == "quota"
            }
            // Past the quota only critical changes go up (a critical status is critical, as on a node).
            try await line1.sql("INSERT INTO agents (id, name, type, status) VALUES ('q2', 'alarm', 'x', 'critical')")
            try await line1.sync()
            try await eventually("the critical row reaches the cloud past the quota", timeout: .seconds(30)) {
                try await fleet.cloudNode.sync()
                return try await fleet.cloudNode.agents().contains("q2")
            }
            #expect(try await !fleet.cloudNode.agents().contains("q1"), "nothing else crosses the WAN past the quota")
            guard case .integer(let waiting)? = try await site.status()["upstream"]?["waiting"] else {
                Issue.record("no waiting count")
                return
            }
            #expect(waiting >= 1, "the row waits in the relay's outbox for tomorrow")
            let upstream = try await site.status()["upstream"]
            #expect(
                upstream?["daily_quota_bytes"] == .integer(1),
                "hub status shows the quota: \(String(describing: upstream))"
            )
            #expect(upstream?["waiting_by_priority"]?["5"] == .integer(waiting), "and the backlog by priority")

            // A table tracked at its own priority keeps it on the WAN: the node names it in its
            // push, the site hub keeps it with the row, and the relay queues the row by it.
            try await line1.sql("CREATE TABLE readings (id TEXT PRIMARY KEY, value INTEGER)")
            let tracked = try await line1.outpost("track", "readings", "--priority", "8")
            #expect(tracked.status == 0, "\(tracked)")
            try await line1.sql("INSERT INTO readings (id, value) VALUES ('r1', 42)")
            try await line1.sync()
            try await eventually("the relay queues the reading at its table's priority", timeout: .seconds(30)) {
                try await site.status()["upstream"]?["waiting_by_priority"]?["8"] == .integer(1)
            }
        }
    }

    @Test("a change the cloud refuses (over its body limit) is held at the site hub while the rest goes up")
    func refusedChangeHeld() async throws {
        try await SiteTopology.run(cloud: .sqlite, sites: 1, nodesPerSite: 1, cloudArguments: ["--max-body-mib", "1"]) {
            fleet in
            let (site, node) = (fleet.sites[0], fleet.sites[0].nodes[0])
            // Two fields of 900 KiB in one row: each under the hubs' 1 MiB field limit, the row over
            // the cloud's 1 MiB body limit and within the site's 16 MiB (written with SQLite directly,
            // too long for a command line; the capture triggers catch it).
            let half = String(repeating: "x", count: 900 << 10)
            try await DatabaseQueue(path: node.storePath).write { db in
                try db.execute(
                    sql: "INSERT INTO agents (id, name, type, config) VALUES ('big', 'b', ?, ?)",
                    arguments: [half, half]
                )
            }
            try await node.sql("INSERT INTO agents (id, name, type) VALUES ('small', 's', 'x')")
            try await node.sync()
            try await eventually("the small row reaches the cloud", timeout: .seconds(30)) {
                try await fleet.cloudNode.sync()
                return try await fleet.cloudNode.agents().contains("small")
            }
            #expect(try await !fleet.cloudNode.agents().contains("\"big\""))
            guard case .integer(let roundTrip)? = try await site.status()["upstream"]?["round_trip_ms"] else {
                Issue.record("hub status shows no round trip to the upstream")
                return
            }
            #expect(roundTrip >= 0 && roundTrip < 30_000, "\(roundTrip) ms")
            try await eventually("the site hub holds the big row with the reason", timeout: .seconds(30)) {
                try await site.status()["upstream"]?["held"] == .integer(1)
            }
            let held = try await OutpostExecutable.run(["hub", "relay", "held", "--home", site.home])
            #expect(held.stdout.contains("big"), "\(held)")
        }
    }

    @Test("files cross every level: chunks go up before their row and come down once to a site")
    func filesRelay() async throws {
        try await SiteTopology.run(cloud: .sqlite, sites: 2, nodesPerSite: 1) { fleet in
            let (here, there) = (fleet.sites[0].nodes[0], fleet.sites[1].nodes[0])
            // 3 MiB of seeded bytes: many chunks, as a model or an image would be.
            var generator = SplitMix64(seed: 18)
            let bytes = (0..<(3 << 20)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let source = here.folder.appending("model.bin")
            try Data(bytes).write(to: URL(fileURLWithPath: source))
            let put = try await here.outpost("files", "put", source, "--as", "models/line.bin")
            try #require(put.status == 0, "\(put)")
            try await here.sync()
            let copy = there.folder.appending("copy.bin")
            try await eventually(
                "the other site's node reads the file",
                timeout: .seconds(60),
                every: .milliseconds(300)
            ) {
                try await there.sync()
                let got = try await there.outpost("files", "get", "models/line.bin", "-o", copy)
                return got.status == 0
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data(bytes), "the same bytes, two levels away")
            let status = try await fleet.sites[0].status()["upstream"]
            #expect(status?["held"] == .integer(0), "nothing held: \(String(describing: status))")
        }
    }

    @Test("bench cluster measures both topologies and the WAN bytes of a fan-out")
    func benchClusterRuns() async throws {
        let result = try await OutpostExecutable.run([
            "bench", "cluster", "--samples", "5", "--rows", "200", "--large-site", "2", "--json",
        ])
        try #require(result.status == 0, "\(result)")
        let report = try JSONValue(parsing: result.stdout)
        for key in ["direct_p99_ms", "cut_site_p99_ms", "latency_p99_ratio", "wan_bytes_ratio"] {
            guard case .double(let value)? = report[key] else {
                Issue.record("missing \(key): \(result.stdout)")
                continue
            }
            #expect(value > 0, "\(key)")
        }
        // A site of two nodes costs the WAN what a site of one does, give or take a poll.
        guard case .double(let ratio)? = report["wan_bytes_ratio"] else { return }
        #expect(ratio < 1.5, "the fan-out crossed the WAN once per node: \(result.stdout)")
    }

    @Test("demo --cluster shows a site through a WAN cut and converging afterwards")
    func clusterDemo() async throws {
        let result = try await OutpostExecutable.run(["demo", "--cluster"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("line-2 sees it at once: active"), "\(result.stdout)")
        #expect(result.stdout.contains("site hub: link down"), "\(result.stdout)")
        #expect(result.stdout.contains("hold identical data ✔"), "\(result.stdout)")
    }

    @Test("hub serve --upstream refuses a missing credential, and hub status says a plain hub has no upstream")
    func refusals() async throws {
        let folder = try TemporaryDirectory(prefix: "outpost-site-refusal")
        defer { folder.remove() }
        try await SiteTopology.hub(["tenant", "add", "acme"], ["--home", folder.path])
        let missing = try await OutpostExecutable.run(
            ["hub", "serve", "--port", "0", "--home", folder.path, "--upstream", "http://127.0.0.1:9"],
            environment: ["OUTPOST_UPSTREAM_TOKEN": ""]
        )
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("--upstream-token-file"), "\(missing)")
        let stray = try await OutpostExecutable.run(
            ["hub", "serve", "--port", "0", "--home", folder.path, "--upstream-tenant", "acme"]
        )
        #expect(stray.status != 0)
        #expect(stray.stderr.contains("go with --upstream URL"), "\(stray)")
        // With two tenants the relay's must be named, before the hub serves anything.
        try await SiteTopology.hub(["tenant", "add", "other"], ["--home", folder.path])
        let ambiguous = try await OutpostExecutable.run(
            ["hub", "serve", "--port", "0", "--home", folder.path, "--upstream", "http://127.0.0.1:9"],
            environment: ["OUTPOST_UPSTREAM_TOKEN": "opn_unused"]
        )
        #expect(ambiguous.status != 0)
        #expect(ambiguous.stderr.contains("--upstream-tenant"), "\(ambiguous)")
        #expect(!ambiguous.stdout.contains("listening"), "refused before serving: \(ambiguous)")
        let noRelay = try await OutpostExecutable.run(["hub", "relay", "held", "--home", folder.path])
        #expect(noRelay.status != 0)
        #expect(noRelay.stderr.contains("never been served with --upstream"), "\(noRelay)")
        let status = try await OutpostExecutable.run(["hub", "status", "--home", folder.path])
        #expect(status.status == 0)
        #expect(status.stdout.contains("Upstream: none"), "\(status)")
    }
}
