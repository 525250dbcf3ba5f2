import ArgumentParser
import Foundation
import GRDB
import Logging
import OutpostBlobs
import OutpostCore
import OutpostHub
import OutpostMerge
import OutpostRunner
import OutpostStore
import OutpostSync
import OutpostSystem

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch two nodes edit offline and converge through a hub, with nothing else installed.",
        discussion: """
            Starts a hub on 127.0.0.1 (embedded SQLite) and two nodes, all in a temporary \
            folder; both nodes edit while offline (one conflict merges by the rules, one waits \
            for a person) and one runs a workflow offline, whose execution reaches the other, sync, the person decides, and the demo shows that both nodes and the \
            hub hold the same data, and ends with `outpost verify` on every node. Exits non-zero \
            if they do not converge or any node differs from the hub unexplained.

            With --cluster: a cloud hub, a site hub relaying to it over a loopback WAN link, two \
            machines on the site floor and one at head office; the link is cut, the site keeps \
            syncing inside, head office edits the same row, the link returns and all three \
            converge (docs/clusters.md).

            Example:
              outpost demo
              outpost demo --keep      # keep the folder to look around with sqlite3
              outpost demo --cluster
            """
    )
    @Flag(help: "Keep the temporary folder (hub and node homes) instead of deleting it.") var keep = false
    @Flag(help: "Show a site hub instead: a site keeps working through a WAN cut and converges afterwards.")
    var cluster = false

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-demo-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer {
            if keep { print("\nkept: \(folder)") } else { try? FileManager.default.removeItem(atPath: folder) }
        }
        var logger = Logger(label: "outpost.demo")
        logger.logLevel = .error
        if cluster {
            try await runCluster(in: folder, logger: logger)
            return
        }

        step("1. A hub and two nodes")
        let hubHome = folder + "/hub"
        try FileManager.default.createDirectory(atPath: hubHome, withIntermediateDirectories: true)
        let tokens = try await HubDatabase.sqlite(path: hubHome + "/hub.sqlite").withStorage(logger: logger) {
            storage in
            _ = try await storage.addTenant(name: "demo")
            var tokens: [String] = []
            for name in ["shop-floor", "warehouse", "observer"] {
                let token = NodeToken.generate()
                _ = try await storage.addNode(tenant: "demo", name: name, tokenHash: NodeToken.hash(token))
                tokens.append(token)
            }
            return tokens
        }
        let hub = try DemoHub.start(home: hubHome)
        defer { hub.stop() }
        say("hub listening on \(hub.url) (SQLite in \(hubHome))")

        var rules = RulesConfiguration.defaults
        rules.entities["prices"] = EntityRules(strategy: .manual)
        let a = try DemoNode(
            name: "shop-floor",
            home: folder + "/shop-floor",
            hub: hub.url,
            token: tokens[0],
            rules: rules
        )
        let b = try DemoNode(
            name: "warehouse",
            home: folder + "/warehouse",
            hub: hub.url,
            token: tokens[1],
            rules: rules
        )
        for node in [a, b] {
            try node.execute("CREATE TABLE prices (sku TEXT PRIMARY KEY, price REAL, currency TEXT)")
            _ = try node.store.track("prices")
        }
        say("nodes: shop-floor and warehouse; `prices` is synced, and its conflicts go to a person")

        step("2. shop-floor creates data; both sync")
        try a.execute(
            "INSERT INTO agents (id, name, type, status, config) VALUES ('cam-1', 'Line camera', 'vision', 'inactive', '{\"fps\":5,\"zoom\":1}')"
        )
        _ = try a.store.addWorkflow(
            id: "inspect",
            name: "Inspect parts",
            definition: try JSONValue(
                parsing: """
                    {"steps": [
                      {"id": "count", "type": "sql", "sql": "SELECT count(*) AS kinds FROM prices"},
                      {"id": "report", "type": "command",
                       "argv": ["/bin/echo", "-n", "inspected ${steps.count.output.rows.0.kinds} kind(s) of part"]}
                     ],
                     "output": "${steps.report.output.stdout}"}
                    """
            ),
            agentID: "cam-1"
        )
        try a.execute("INSERT INTO prices VALUES ('bolt-m8', 0.12, 'EUR')")
        let manual = Array(String(repeating: "Clean the lens before each shift.\n", count: 400).utf8)
        try a.files.put(manual, as: "manuals/line-camera.txt", priority: 3)
        try await a.sync()
        let fetched = try await b.sync()
        say("warehouse now has: \(try b.describe("SELECT name || ' (' || status || ')' FROM agents"))")
        say(
            "and the file manuals/line-camera.txt (\(try b.files.contents(of: "manuals/line-camera.txt").count) bytes, "
                + "\(fetched.chunksFetched) chunks fetched)"
        )

        step("3. Both go offline and edit the same rows")
        try a.execute("UPDATE agents SET status = 'active' WHERE id = 'cam-1'")
        try a.execute("UPDATE prices SET price = 0.14 WHERE sku = 'bolt-m8'")
        try b.execute("UPDATE agents SET config = '{\"fps\":10,\"zoom\":1}' WHERE id = 'cam-1'")
        try b.execute("UPDATE prices SET price = 0.15 WHERE sku = 'bolt-m8'")
        say("shop-floor: camera status → active, bolt price → 0.14")
        say("warehouse:  camera fps → 10,       bolt price → 0.15")
        let runner = WorkflowRunner(store: a.store, files: a.files, runsDirectory: folder + "/shop-floor/runs")
        let run = try await runner.run(workflowID: "inspect")
        say(
            "shop-floor, still offline, runs the workflow 'Inspect parts': \(run.status), \"\(run.outputData?.stringValue ?? "")\""
        )

        step("4. Back online: both sync")
        let first = try await a.sync()
        say("shop-floor pushed \(first.pushed) change(s)")
        let second = try await b.sync()
        say(
            "warehouse pushed \(second.pushed), merged \(second.merged) automatically, \(second.parked) wait for a person"
        )
        try await a.sync()
        let arrived = try b.store.requireExecution(id: run.id)
        say(
            "warehouse now holds shop-floor's run: \(arrived.status), \(arrived.durationMilliseconds ?? 0) ms, "
                + "ran on \(arrived.nodeID == a.store.nodeID ? "shop-floor" : "?")"
        )

        step("5. A person decides the price")
        for conflict in try b.store.conflicts() {
            say("conflict #\(conflict.id) on \(conflict.table)/\(conflict.key): \(conflict.summary ?? "")")
            say("  local \(conflict.local?.encoded() ?? "-")")
            say("  hub   \(conflict.remote?.encoded() ?? "-")")
            _ = try b.store.resolveConflict(id: conflict.id, choosing: .local, by: "demo")
            say("  resolved: keep the warehouse's price (as `outpost conflicts resolve \(conflict.id) --keep local`)")
        }
        for node in [b, a, b, a] { try await node.sync() }

        step("6. Everyone holds the same data")
        // A third node with its own identity syncs first, then tracks prices late: its cursor
        // has passed the prices rows, so the engine fetches that table from the hub.
        let observer = try DemoNode(
            name: "observer",
            home: folder + "/observer",
            hub: hub.url,
            token: tokens[2],
            rules: rules
        )
        try await observer.sync()
        try observer.execute("CREATE TABLE prices (sku TEXT PRIMARY KEY, price REAL, currency TEXT)")
        _ = try observer.store.track("prices")
        let filled = try await observer.sync()
        say("observer tracked prices after its first sync; \(filled.pulled) row(s) fetched from the hub")
        let contents = [try a.syncedContents(), try b.syncedContents(), try observer.syncedContents()]
        say("camera on both: \(try a.describe("SELECT name || ', ' || status || ', config ' || config FROM agents"))")
        say("price on both:  \(try a.describe("SELECT sku || ' ' || price || ' ' || currency FROM prices"))")
        guard contents[0] == contents[1], contents[1] == contents[2] else {
            throw OutpostError(.failedPrecondition, "The nodes did not converge; this is a bug. Folder: \(folder)")
        }
        say("shop-floor, warehouse and the hub hold identical agents, workflows, executions, files and prices ✔")

        step("7. Each node verifies against the hub (as `outpost verify`)")
        for (name, node) in [("shop-floor", a), ("warehouse", b), ("observer", observer)] {
            let report = try await node.engine.verify()
            let rows = report.tables.reduce(0) { $0 + $1.rows }
            let differences = report.tables.reduce(0) { $0 + $1.differences.count }
            say(
                "\(name): \(report.tables.count) tables, \(rows) rows, \(differences) difference(s), "
                    + "\(report.unexplained) unexplained, \(report.bytesReceived) B received"
            )
            guard report.unexplained == 0 else {
                throw OutpostError(
                    .failedPrecondition,
                    "\(name) differs from the hub with nothing to explain it; this is a bug. Folder: \(folder)\n"
                        + VerifyCommand.describe(report)
                )
            }
        }
        say("no unexplained difference on any node ✔")
    }

    func step(_ title: String) { print("\n== \(title)") }
    func say(_ line: String) { print("   \(line)") }
}

/// One of the demo's nodes: a store in its own home with an engine pointed at the demo hub.
struct DemoNode {
    let store: Store
    let files: FileStore
    let engine: SyncEngine

    init(name: String, home: String, hub: String, token: String, rules: RulesConfiguration) throws {
        let home = NodeHome(path: home)
        store = try home.openStore(createIfMissing: true)
        let remote = try RemoteConfiguration(url: hub, token: token)
        try remote.save(home: home.path)
        files = try home.files(store: store)
        engine = try home.engine(store: store, files: files, rules: rules, remote: remote)
    }

    @discardableResult
    func sync() async throws -> SyncReport { try await engine.sync() }

    func execute(_ sql: String) throws {
        try store.write { db in try db.execute(sql: sql) }
    }

    func describe(_ sql: String) throws -> String {
        try store.read { db in try String.fetchAll(db, sql: sql) }.joined(separator: "; ")
    }

    func syncedContents() throws -> [String: [String]] { try store.syncedContents() }
}

/// The demo's hub: this same executable running `hub serve` on a free port.
final class DemoHub {
    let child: ChildProcess.Running
    let url: String

    private init(child: ChildProcess.Running, url: String) {
        self.child = child
        self.url = url
    }

    static func start(home: String, arguments: [String] = []) throws -> DemoHub {
        let child = try ChildProcess("/proc/self/exe", ["hub", "serve", "--port", "0", "--home", home] + arguments)
            .start(capturing: .standardOutput)
        let url = child.waitForOutput(timeout: .seconds(30)) { text in
            text.range(of: "listening on ").flatMap { marker in
                text[marker.upperBound...].firstIndex(of: " ").map { String(text[marker.upperBound..<$0]) }
            }
        }
        guard let url else {
            child.terminate()
            throw OutpostError(.failedPrecondition, "The demo hub did not start: \(child.output)")
        }
        return DemoHub(child: child, url: url)
    }

    func stop() {
        child.terminate()
        child.wait()
    }
}
