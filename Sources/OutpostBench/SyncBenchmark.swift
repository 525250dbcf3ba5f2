import Foundation
import GRDB
import Hummingbird
import Logging
import OutpostCore
package import OutpostHub
import OutpostMerge
import OutpostProtocol
import OutpostStore
import OutpostSync
import OutpostSystem

/// `outpost bench sync`: the engine end to end against a hub in this process on 127.0.0.1.
///
/// Each figure comes with a baseline measured in the same run:
/// - push: N captured rows pushed by the engine until all are acknowledged, against the same
///   rows pre-encoded and pushed straight through the transport (no store reads or writes);
/// - initial pull: a fresh node (`outpost sync` as a child process, whose own peak RSS, VmHWM,
///   is the memory figure) pulls the N rows, against pulling and decoding the same pages without
///   storing them; several such pairs (`pullPairs`), in alternating order, and the median of
///   each figure;
/// - bytes per two-field update (batches of ≥ 100), against the row as full JSON;
/// - A→B latency with `outpost run` on both nodes, against the hub's own push round trip.
package struct SyncBenchmark {
    let rows: Int
    let latencySamples: Int
    /// Initial pulls measured, each beside its baseline: on a shared VM one pair's ratio ranged
    /// from 1.2 to 1.9 within minutes, so the figure is the median of several.
    let pullPairs: Int
    let database: HubDatabase
    /// This run's folder: a fresh one under the temporary directory, removed when a run ends.
    let folder: String

    /// - Parameter database: the hub's; `nil` for a SQLite file in the run's temporary folder.
    package init(rows: Int, latencySamples: Int, pullPairs: Int = 5, database: HubDatabase?) {
        self.rows = rows
        self.latencySamples = latencySamples
        self.pullPairs = pullPairs
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(UUID().uuidString)").path
        self.database = database ?? .sqlite(path: folder + "/hub.sqlite")
    }

    package struct Result: Encodable {
        var machine: String
        var database: String
        var rows: Int
        var pushRowsPerSecond: Double
        var rawPushRowsPerSecond: Double
        var pullRowsPerSecond: Double
        var rawPullRowsPerSecond: Double
        /// The median of ``pullRatios``.
        var pullRatio: Double
        /// Transport-alone rows a second over the node's, pair by pair.
        var pullRatios: [Double]
        var pullPeakMegabytes: Double
        var bytesPerUpdate: Double
        var fullRowBytes: Double
        var latencyP50Milliseconds: Double
        var latencyP99Milliseconds: Double
        var roundTripP50Milliseconds: Double

        enum CodingKeys: String, CodingKey {
            case machine, database, rows
            case pushRowsPerSecond = "push_rows_per_second"
            case rawPushRowsPerSecond = "raw_push_rows_per_second"
            case pullRowsPerSecond = "pull_rows_per_second"
            case rawPullRowsPerSecond = "raw_pull_rows_per_second"
            case pullRatio = "pull_ratio"
            case pullRatios = "pull_ratios"
            case pullPeakMegabytes = "pull_peak_mb"
            case bytesPerUpdate = "bytes_per_two_field_update"
            case fullRowBytes = "full_row_bytes"
            case latencyP50Milliseconds = "latency_p50_ms"
            case latencyP99Milliseconds = "latency_p99_ms"
            case roundTripP50Milliseconds = "round_trip_p50_ms"
        }

        package var report: String {
            func f(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
            return """
                push      \(f(pushRowsPerSecond)) rows/s   (transport alone \(f(rawPushRowsPerSecond)) rows/s, ratio \(f(rawPushRowsPerSecond / pushRowsPerSecond, 2)); target ≥ 10,000)
                pull      \(f(pullRowsPerSecond)) rows/s   (transport alone \(f(rawPullRowsPerSecond)) rows/s, ratio \(f(pullRatio, 2)), median of \(pullRatios.map { f($0, 2) }.joined(separator: " · ")); target ≥ 12,500)
                pull peak memory \(f(pullPeakMegabytes, 1)) MB (target ≤ 150)
                two-field update \(f(bytesPerUpdate, 1)) B on the wire (full row as JSON \(f(fullRowBytes)) B; target ≤ 64)
                A→B latency p50 \(f(latencyP50Milliseconds, 1)) ms, p99 \(f(latencyP99Milliseconds, 1)) ms (hub push round trip p50 \(f(roundTripP50Milliseconds, 1)) ms; target p99 ≤ 50)
                """
        }
    }

    static let schema = """
        CREATE TABLE readings (id TEXT PRIMARY KEY, sensor TEXT, site TEXT, value REAL, unit TEXT,
                               status TEXT, note TEXT, seen_at TEXT)
        """

    package func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Stopping the hub cancels the nodes' long polls, which it would log as failures.
        return try await BenchHub.with(database: database, logLevel: .critical) { storage, port in
            progress("machine: \(MachineDescription.current); database \(database)")
            return try await measure(storage: storage, url: "http://127.0.0.1:\(port)", progress: progress)
        }
    }

    private func measure(storage: any HubStorage, url: String, progress: @Sendable (String) -> Void) async throws
        -> Result
    {
        var ids = UUIDv7()
        let suffix = ids.next().replacingOccurrences(of: "-", with: "")
        let tenant = "bench-sync-" + suffix
        let rawTenant = "bench-raw-" + suffix
        _ = try await storage.addTenant(name: tenant)
        _ = try await storage.addTenant(name: rawTenant)
        func token(_ tenant: String, _ name: String) async throws -> String {
            let token = NodeToken.generate()
            _ = try await storage.addNode(tenant: tenant, name: name, tokenHash: NodeToken.hash(token))
            return token
        }
        let a = try node(home: folder + "/a", url: url, token: try await token(tenant, "a"))
        let bHome = folder + "/b"
        _ = try node(home: bHome, url: url, token: try await token(tenant, "b"))
        let raw = HubClient(remote: try RemoteConfiguration(url: url, token: try await token(rawTenant, "raw")))

        // Rows (not timed).
        let data = (0..<rows).map { Self.row($0) }
        try await a.store.write { db in
            for (key, row) in data {
                guard case .object(let members) = row else { continue }
                let columns = members.keys.sorted()
                try db.execute(
                    sql:
                        "INSERT INTO readings (id, \(columns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: columns.count)))",
                    arguments: StatementArguments([key.databaseValue] + columns.map { members[$0]!.databaseValue })
                )
            }
        }
        progress("\(rows) rows of ~\(data[0].1.encodedByteCount) B captured on node A")

        // 1. Push.
        let engine = SyncEngine(
            store: a.store,
            client: a.client,
            resolver: ConflictResolver(),
            configuration: {
                var c = SyncConfiguration(); c.initialBatchSize = 1_000; return c
            }()
        )
        var start = ContinuousClock.now
        let pushed = try await engine.push()
        let pushSeconds = (ContinuousClock.now - start).seconds
        guard pushed.pushed == rows else {
            throw OutpostError(.storage, "Only \(pushed.pushed) of \(rows) rows were pushed.")
        }
        progress("push: \(rows) rows acknowledged in \(String(format: "%.2f", pushSeconds)) s")
        let requests = stride(from: 0, to: rows, by: 1_000).map { first in
            PushRequest(
                batchID: ids.next(),
                changes: data[first..<min(first + 1_000, rows)].map {
                    Change(
                        id: ids.next(),
                        table: "readings",
                        key: $0.0,
                        operation: .upsert,
                        baseVersion: 0,
                        data: $0.1,
                        hlc: 1
                    )
                },
                schemas: ["readings": ["id", "sensor", "site", "value", "unit", "status", "note", "seen_at"]]
            )
        }
        start = ContinuousClock.now
        for request in requests { _ = try await raw.push(request) }
        let rawPushSeconds = (ContinuousClock.now - start).seconds
        progress("transport alone: \(rows) rows in \(String(format: "%.2f", rawPushSeconds)) s")

        // 2. Initial pull into a fresh node, as its own process, against the same pages pulled
        // and decoded alone: pairs, the order alternated, each figure the pairs' median.
        var pulls: [PullPair] = []
        for pair in 0..<pullPairs {
            let home = pair == 0 ? bHome : folder + "/b\(pair)"
            if pair > 0 { _ = try node(home: home, url: url, token: try await token(tenant, "b\(pair)")) }
            var measured = PullPair()
            if pair % 2 == 1 { measured.rawRowsPerSecond = try await rawPull(raw, progress: progress) }
            (measured.rowsPerSecond, measured.peakMegabytes) = try pullIntoFreshNode(home: home, progress: progress)
            if pair % 2 == 0 { measured.rawRowsPerSecond = try await rawPull(raw, progress: progress) }
            pulls.append(measured)
        }

        // 3. Bytes per two-field update.
        let updates = min(rows, 1_000)
        try await a.store.write { db in
            try db.execute(
                sql:
                    "UPDATE readings SET value = value + 1, status = 'checked' WHERE rowid IN (SELECT rowid FROM readings LIMIT ?)",
                arguments: [updates]
            )
        }
        let updated = try await engine.push()
        let bytesPerUpdate = Double(updated.bytesSent + updated.bytesReceived) / Double(updates)
        let fullRow = Double(data.prefix(100).map { $0.1.encodedByteCount }.reduce(0, +)) / Double(min(100, rows))
        progress(
            "two-field updates: \(updates) pushed in \(updated.batches) batch(es), \(updated.bytesSent + updated.bytesReceived) B"
        )

        // 4. Latency A → B with `outpost run` on both.
        let (p50, p99, roundTrip) = try await latency(a: a, bHome: bHome, raw: raw, ids: &ids, progress: progress)

        return Result(
            machine: MachineDescription.current,
            database: "\(database)",
            rows: rows,
            pushRowsPerSecond: Double(rows) / pushSeconds,
            rawPushRowsPerSecond: Double(rows) / rawPushSeconds,
            pullRowsPerSecond: pulls.map(\.rowsPerSecond).median,
            rawPullRowsPerSecond: pulls.map(\.rawRowsPerSecond).median,
            pullRatio: pulls.map { $0.rawRowsPerSecond / $0.rowsPerSecond }.median,
            pullRatios: pulls.map { $0.rawRowsPerSecond / $0.rowsPerSecond },
            pullPeakMegabytes: pulls.map(\.peakMegabytes).max() ?? 0,
            bytesPerUpdate: bytesPerUpdate,
            fullRowBytes: fullRow,
            latencyP50Milliseconds: p50,
            latencyP99Milliseconds: p99,
            roundTripP50Milliseconds: roundTrip
        )
    }

    /// One node pull and one transport-alone pull, measured one right after the other.
    private struct PullPair {
        var rowsPerSecond = 0.0
        var rawRowsPerSecond = 0.0
        var peakMegabytes = 0.0
    }

    /// `outpost sync` of a fresh node at `home`, as its own process: its rows a second, and its
    /// peak memory (VmHWM) in MB.
    private func pullIntoFreshNode(home: String, progress: @Sendable (String) -> Void) throws -> (Double, Double) {
        let start = ContinuousClock.now
        let child = try runChild(["sync", "--home", home, "--json"])
        let seconds = (ContinuousClock.now - start).seconds
        guard child.status == 0,
            case .object(let report)? = try? JSONValue(parsing: child.output),
            case .integer(let peakBytes)? = report["peak_memory_bytes"], report["pulled"] == .integer(Int64(rows))
        else { throw OutpostError(.storage, "outpost sync of a fresh node failed: \(child.output)") }
        let peak = Double(peakBytes) / 1_048_576
        progress(
            "pull: \(rows) rows into a fresh node in \(String(format: "%.2f", seconds)) s, peak \(String(format: "%.1f", peak)) MB"
        )
        return (Double(rows) / seconds, peak)
    }

    /// Every page pulled and decoded, as the node asks for them, with nothing stored: rows a second.
    private func rawPull(_ raw: HubClient, progress: @Sendable (String) -> Void) async throws -> Double {
        let start = ContinuousClock.now
        var cursor: Int64 = 0
        var pulled = 0
        while true {
            let page = try await raw.pull(after: cursor, limit: SyncConfiguration().pullLimit).value
            pulled += page.rows.count
            cursor = page.cursor
            if !page.more { break }
        }
        let seconds = (ContinuousClock.now - start).seconds
        progress("transport alone: \(pulled) rows pulled in \(String(format: "%.2f", seconds)) s")
        return Double(pulled) / seconds
    }

    private func latency(
        a: (store: Store, client: HubClient),
        bHome: String,
        raw: HubClient,
        ids: inout UUIDv7,
        progress: @Sendable (String) -> Void
    ) async throws -> (Double, Double, Double) {
        let runA = try startChild(["run", "--home", a.store.path.replacingOccurrences(of: "/store.sqlite", with: "")])
        let runB = try startChild(["run", "--home", bHome])
        defer {
            for child in [runA, runB] {
                child.terminate()
                child.wait()
            }
        }
        var configuration = Configuration()
        configuration.readonly = true
        let b = try DatabasePool(path: bHome + "/store.sqlite", configuration: configuration)
        try await Task.sleep(for: .seconds(1))
        var samples: [Double] = []
        var roundTrips: [Double] = []
        for _ in 0..<latencySamples {
            let key = ids.next()
            let written = ContinuousClock.now
            try await a.store.write { db in
                try db.execute(
                    sql: "INSERT INTO readings (id, sensor, value) VALUES (?, 'latency', 1)",
                    arguments: [key]
                )
            }
            let deadline = written + .seconds(5)
            while ContinuousClock.now < deadline {
                if try await b.read({ db in
                    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM readings WHERE id = ?)", arguments: [key])
                }) == true {
                    samples.append((ContinuousClock.now - written).seconds * 1000)
                    break
                }
                try await Task.sleep(for: .microseconds(200))
            }
            let request = PushRequest(
                batchID: ids.next(),
                changes: [
                    Change(
                        id: ids.next(),
                        table: "readings",
                        key: key,
                        operation: .upsert,
                        baseVersion: 0,
                        data: ["sensor": "rt"],
                        hlc: 1
                    )
                ]
            )
            roundTrips.append(try await raw.push(request).elapsed.seconds * 1000)
            try await Task.sleep(for: .milliseconds(20))
        }
        guard samples.count == latencySamples else {
            throw OutpostError(.storage, "\(latencySamples - samples.count) change(s) did not reach node B within 5 s.")
        }
        samples.sort()
        roundTrips.sort()
        progress("latency: \(samples.count) changes from A to B")
        return (
            samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)],
            roundTrips[roundTrips.count / 2]
        )
    }

    private func node(home: String, url: String, token: String) throws -> (store: Store, client: HubClient) {
        let home = NodeHome(path: home)
        let store = try home.openStore(createIfMissing: true)
        try store.write { db in try db.execute(sql: Self.schema) }
        try store.track("readings")
        let remote = try RemoteConfiguration(url: url, token: token)
        try remote.save(home: home.path)
        return (store, HubClient(remote: remote))
    }

    /// A reading of about 300 bytes as JSON.
    static func row(_ index: Int) -> (String, JSONValue) {
        let key = String(format: "r%09d", index)
        return (
            key,
            [
                "sensor": .string("sensor-\(index % 500)"), "site": .string("plant-\(index % 7)-line-\(index % 13)"),
                "value": .double(Double(index % 1000) / 10 + 0.5), "unit": "celsius", "status": "ok",
                "note": .string(
                    "routine reading from the \(index % 3 == 0 ? "north" : "south") hall, shift \(index % 3), "
                        + "calibrated \(2026 - index % 4) against reference probe \(index % 17), within tolerance; "
                        + "no operator action needed"
                ),
                "seen_at": .string(
                    "2026-11-25T10:\(String(format: "%02d", index % 60)):\(String(format: "%02d", index % 60)).000Z"
                ),
            ]
        )
    }

    private func startChild(_ arguments: [String]) throws -> ChildProcess.Running {
        try ChildProcess("/proc/self/exe", arguments).start()
    }

    /// Runs `outpost ARGUMENTS` to the end; its standard output, or on failure what it printed
    /// on standard error too.
    private func runChild(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let child = try ChildProcess("/proc/self/exe", arguments).run()
        let output = String(decoding: child.stdout, as: UTF8.self)
        guard child.status == 0 else {
            return (child.status, output + String(decoding: child.stderr, as: UTF8.self))
        }
        return (0, output)
    }
}
