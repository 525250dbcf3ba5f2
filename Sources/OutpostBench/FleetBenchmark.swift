import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OutpostCore
import OutpostHub
import OutpostProtocol
import OutpostSystem
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a fleet of nodes costs one hub process, for `outpost bench fleet`.
///
/// For each fleet size N: a fresh tenant with N nodes and one more that pushes, a real
/// `outpost hub serve` process on 127.0.0.1 (its connection limit raised to fit, as an operator
/// would), and in this process N lightweight nodes that long-poll (`wait_ms`) as `outpost run`
/// does, each on its own connection. Measured from `/proc` of the hub process: its resident
/// memory before the polls and once all N wait (per idle node), and its CPU while they wait
/// and nothing changes. Then small pushes, one at a time: the time from sending each until each
/// of the N nodes holds it (push-to-visible), p50 and p99 over every node and push. A fleet of
/// one node, measured first in the same run, is the baseline the p99 is compared with.
package struct FleetBenchmark: Sendable {
    /// Fleet sizes measured after the one-node baseline.
    package let sizes: [Int]
    /// How long the idle CPU is measured for, per fleet.
    package let idleSeconds: Int
    /// Pushes timed per fleet.
    package let pushes: Int
    /// The hub's `--database` (nil: a temporary SQLite file per fleet).
    package let database: String?
    /// The `outpost` program that serves the hub.
    package let executable: String

    /// The p99 target: at most this many times the one-node figure.
    package static let p99Target = 2.0
    /// The idle CPU target at 1,000 nodes, in % of one core.
    package static let idleCPUTarget = 5.0
    /// The memory target per idle node, in bytes.
    package static let memoryTarget = 64 << 10

    package init(sizes: [Int], idleSeconds: Int, pushes: Int, database: String?, executable: String) {
        self.sizes = sizes
        self.idleSeconds = idleSeconds
        self.pushes = pushes
        self.database = database
        self.executable = executable
    }

    /// One fleet's figures.
    package struct Fleet: Encodable, Sendable {
        var nodes: Int
        var hubMemoryBefore: Int
        var hubMemoryWaiting: Int
        var idleCPUPercent: Double
        var latencyP50Milliseconds: Double
        var latencyP99Milliseconds: Double
        var samples: Int
        /// The floor a fan-out meets: every node's request arriving at once, answered with no
        /// change to wait for — `GET /health` (the HTTP stack alone) and a pull at the head (the
        /// pull's own work too). p99 of the time from the burst's start to each answer.
        var burstHealthP99Milliseconds: Double
        var burstPullP99Milliseconds: Double

        var memoryPerIdleNode: Int { max(0, hubMemoryWaiting - hubMemoryBefore) / max(nodes, 1) }

        enum CodingKeys: String, CodingKey {
            case nodes, samples
            case hubMemoryBefore = "hub_rss_bytes_before"
            case hubMemoryWaiting = "hub_rss_bytes_waiting"
            case idleCPUPercent = "idle_cpu_percent_of_core"
            case latencyP50Milliseconds = "latency_p50_ms"
            case latencyP99Milliseconds = "latency_p99_ms"
            case memoryPerIdleNode = "memory_per_idle_node_bytes"
            case burstHealthP99Milliseconds = "burst_health_p99_ms"
            case burstPullP99Milliseconds = "burst_pull_p99_ms"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(nodes, forKey: .nodes)
            try container.encode(samples, forKey: .samples)
            try container.encode(hubMemoryBefore, forKey: .hubMemoryBefore)
            try container.encode(hubMemoryWaiting, forKey: .hubMemoryWaiting)
            try container.encode(idleCPUPercent, forKey: .idleCPUPercent)
            try container.encode(latencyP50Milliseconds, forKey: .latencyP50Milliseconds)
            try container.encode(latencyP99Milliseconds, forKey: .latencyP99Milliseconds)
            try container.encode(memoryPerIdleNode, forKey: .memoryPerIdleNode)
            try container.encode(burstHealthP99Milliseconds, forKey: .burstHealthP99Milliseconds)
            try container.encode(burstPullP99Milliseconds, forKey: .burstPullP99Milliseconds)
        }
    }

    package struct Result: Encodable, Sendable {
        var machine: String
        var database: String
        var openFileLimit: Int
        var single: Fleet
        var fleets: [Fleet]
        var seconds: Double

        enum CodingKeys: String, CodingKey {
            case machine, database, single, fleets, seconds
            case openFileLimit = "open_file_limit"
        }

        package var report: String {
            func kib(_ bytes: Int) -> String { String(format: "%.1f KiB", Double(bytes) / 1024) }
            func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
            var lines = [
                "one node (baseline): push-to-visible p50 \(ms(single.latencyP50Milliseconds)), "
                    + "p99 \(ms(single.latencyP99Milliseconds)) over \(single.samples) pushes"
            ]
            for fleet in fleets {
                let ratio = fleet.latencyP99Milliseconds / max(single.latencyP99Milliseconds, 0.001)
                lines.append(
                    "\(fleet.nodes) nodes: hub memory \(kib(fleet.memoryPerIdleNode)) per idle node "
                        + "(target ≤ \(kib(FleetBenchmark.memoryTarget))), idle CPU "
                        + String(format: "%.1f", fleet.idleCPUPercent) + " % of a core"
                        + (fleet.nodes == 1_000
                            ? " (target ≤ \(String(format: "%.0f", FleetBenchmark.idleCPUTarget)) %)" : "")
                        + ", push-to-visible p50 \(ms(fleet.latencyP50Milliseconds)), p99 "
                        + "\(ms(fleet.latencyP99Milliseconds)) = " + String(format: "%.1f", ratio)
                        + "× one node's (target ≤ \(String(format: "%.0f", FleetBenchmark.p99Target))×) "
                        + "over \(fleet.samples) deliveries; every node asking at once with nothing to wait for: "
                        + "/health p99 \(ms(fleet.burstHealthP99Milliseconds)), a pull p99 "
                        + "\(ms(fleet.burstPullP99Milliseconds))"
                )
            }
            lines.append(String(format: "whole benchmark: %.0f s", seconds))
            return lines.joined(separator: "\n")
        }
    }

    package func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        let started = ContinuousClock.now
        let limit = Self.raiseOpenFileLimit()
        let largest = sizes.max() ?? 1
        // Each node is one socket here and one in the hub (which inherits this limit).
        guard limit >= largest + 256 else {
            throw OutpostError(
                .failedPrecondition,
                "The open-file limit is \(limit), too low for \(largest) nodes: raise it (ulimit -n \(largest + 1024)) "
                    + "or measure fewer nodes."
            )
        }
        progress("machine: \(MachineDescription.current); open-file limit \(limit)")
        let single = try await measure(nodes: 1, progress: progress)
        var fleets: [Fleet] = []
        for size in sizes { fleets.append(try await measure(nodes: size, progress: progress)) }
        return Result(
            machine: MachineDescription.current,
            database: database.map(Self.redacted) ?? "a temporary SQLite file per fleet",
            openFileLimit: limit,
            single: single,
            fleets: fleets,
            seconds: Self.seconds(ContinuousClock.now - started)
        )
    }

    // MARK: One fleet

    private func measure(nodes count: Int, progress: @Sendable (String) -> Void) async throws -> Fleet {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-fleet-\(UUID())")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let databaseArgument = database ?? "sqlite:\(folder)/hub.sqlite"
        let hubDatabase = try HubDatabase(parsing: databaseArgument)
        var ids = UUIDv7()
        let tenant = "bench-fleet-" + ids.next().replacingOccurrences(of: "-", with: "")
        let tokens = try await Self.register(nodes: count + 1, tenant: tenant, database: hubDatabase)
        do {
            let fleet = try await measure(
                pusher: tokens[0],
                pollers: Array(tokens.dropFirst()),
                database: databaseArgument,
                progress: progress
            )
            try await Self.removeTenant(tenant, database: hubDatabase)
            return fleet
        } catch {
            try? await Self.removeTenant(tenant, database: hubDatabase)
            throw error
        }
    }

    private func measure(
        pusher pusherToken: String,
        pollers pollerTokens: [String],
        database: String,
        progress: @Sendable (String) -> Void
    )
        async throws -> Fleet
    {
        let count = pollerTokens.count
        var ids = UUIDv7()

        let hub = try await DedicatedThread.run { try startHub(database: database, nodes: count) }
        defer { _ = hub.process.stop(grace: .seconds(10)) }
        let base = "http://127.0.0.1:\(hub.port)"
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = count + 8
        configuration.timeout.connect = .seconds(30)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let deliveries = DeliveryLog()
        let polls = Task {
            await withTaskGroup(of: Void.self) { group in
                for token in pollerTokens {
                    group.addTask { await Self.poll(client: client, base: base, token: token, deliveries: deliveries) }
                }
            }
        }
        do {
            // One pull first, so the hub's memory before the fleet includes its warmed-up paths.
            _ = try await Self.send(client, base + "/v1/pull?after=0", token: pusherToken, body: nil)
            let memoryBefore = Self.residentBytes(of: hub.process.processIdentifier)
            try await Self.waitForWaiters(count, client: client, base: base)
            // Let the connections' first requests settle before measuring what waiting costs.
            try await Task.sleep(for: .seconds(1))
            let memoryWaiting = Self.residentBytes(of: hub.process.processIdentifier)
            let cpuBefore = Self.cpuSeconds(of: hub.process.processIdentifier)
            try await Task.sleep(for: .seconds(idleSeconds))
            let cpu = Self.cpuSeconds(of: hub.process.processIdentifier) - cpuBefore
            progress(
                "\(count) node(s) waiting: hub memory \(memoryBefore / 1024) → \(memoryWaiting / 1024) KiB, "
                    + String(format: "idle CPU %.1f %% of a core", 100 * cpu / Double(idleSeconds))
            )
            var latencies: [Double] = []
            for index in 0..<pushes {
                let key = "push-\(index)"
                let sent = ContinuousClock.now
                deliveries.state.withLock { $0.sent[key] = sent }
                try await Self.push(key: key, client: client, base: base, token: pusherToken, ids: &ids)
                latencies += try await Self.waitForDeliveries(of: key, to: count, deliveries: deliveries)
                // Every node asks again before the next push, so each push meets a waiting fleet.
                try await Self.waitForWaiters(count, client: client, base: base)
            }
            polls.cancel()
            let (health, pull) = try await Self.bursts(tokens: pollerTokens, client: client, base: base)
            try? await client.shutdown()
            latencies.sort()
            progress(
                "\(count) node(s): push-to-visible p99 "
                    + String(
                        format: "%.1f ms; all at once: /health p99 %.1f ms, pull p99 %.1f ms",
                        Self.percentile(latencies, 0.99),
                        health,
                        pull
                    )
            )
            return Fleet(
                nodes: count,
                hubMemoryBefore: memoryBefore,
                hubMemoryWaiting: memoryWaiting,
                idleCPUPercent: 100 * cpu / Double(idleSeconds),
                latencyP50Milliseconds: Self.percentile(latencies, 0.50),
                latencyP99Milliseconds: Self.percentile(latencies, 0.99),
                samples: latencies.count,
                burstHealthP99Milliseconds: health,
                burstPullP99Milliseconds: pull
            )
        } catch {
            polls.cancel()
            try? await client.shutdown()
            throw error
        }
    }

    /// Who received which push, and when each was sent.
    private final class DeliveryLog: Sendable {
        struct State {
            var sent: [String: ContinuousClock.Instant] = [:]
            var received: [String: [Double]] = [:]
        }
        let state = Mutex(State())
    }

    /// One lightweight node: pulls in a loop, each pull waiting for a change, and notes when each
    /// timed push reaches it.
    private static func poll(client: HTTPClient, base: String, token: String, deliveries: DeliveryLog) async {
        var cursor: Int64 = 0
        while !Task.isCancelled {
            guard
                let body = try? await send(
                    client,
                    base + "/v1/pull?after=\(cursor)&wait_ms=25000",
                    token: token,
                    body: nil
                ),
                let page = try? JSONDecoder().decode(PullResponse.self, from: Data(body.readableBytesView))
            else {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            let now = ContinuousClock.now
            deliveries.state.withLock { state in
                for row in page.rows {
                    guard let sent = state.sent[row.key] else { continue }
                    state.received[row.key, default: []].append(seconds(now - sent) * 1000)
                }
            }
            cursor = page.cursor
        }
    }

    private static func waitForDeliveries(of key: String, to count: Int, deliveries: DeliveryLog)
        async throws -> [Double]
    {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let received = deliveries.state.withLock { $0.received[key] ?? [] }
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw OutpostError(.storage, "Push \(key) did not reach all \(count) nodes within 120 s.")
    }

    private static func waitForWaiters(_ count: Int, client: HTTPClient, base: String) async throws {
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if try await metric("outpost_hub_pull_waiters", client: client, base: base) >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw OutpostError(.storage, "\(count) pulls were not all waiting at the hub within 180 s.")
    }

    private static func push(key: String, client: HTTPClient, base: String, token: String, ids: inout UUIDv7)
        async throws
    {
        let request = PushRequest(
            batchID: ids.next(),
            changes: [
                Change(
                    id: ids.next(),
                    table: "readings",
                    key: key,
                    operation: .upsert,
                    baseVersion: 0,
                    data: ["value": 1],
                    hlc: Int64(WallClock.milliseconds()) << 16
                )
            ]
        )
        _ = try await send(
            client,
            base + "/v1/push",
            token: token,
            body: ByteBuffer(bytes: JSONEncoder().encode(request))
        )
    }

    /// p99 of every node's request answered when all arrive at once: `GET /health`, then a pull
    /// at the tenant's head (an empty page, no wait). A first burst of each warms the fleet's
    /// connections (the long polls' were closed when they were cancelled); the second is timed.
    private static func bursts(tokens: [String], client: HTTPClient, base: String) async throws
        -> (health: Double, pull: Double)
    {
        let head =
            try JSONDecoder().decode(
                PullResponse.self,
                from: Data(
                    try await send(client, base + "/v1/pull?after=0&limit=1", token: tokens[0], body: nil)
                        .readableBytesView
                )
            ).head ?? 0
        func burst(_ url: String, authenticated: Bool) async throws -> Double {
            let start = ContinuousClock.now
            let times = try await withThrowingTaskGroup(of: Double.self) { group in
                for token in tokens {
                    group.addTask {
                        _ = try await send(client, base + url, token: authenticated ? token : nil, body: nil)
                        return seconds(ContinuousClock.now - start) * 1000
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            return percentile(times.sorted(), 0.99)
        }
        var health = 0.0
        var pull = 0.0
        for _ in 0..<2 {
            health = try await burst("/health", authenticated: false)
            pull = try await burst("/v1/pull?after=\(head)", authenticated: true)
        }
        return (health, pull)
    }

    // MARK: The hub

    private struct Hub {
        var process: ChildProcess.Running
        var port: Int
    }

    /// `outpost hub serve` over `database`, with room for the fleet's connections and no rate
    /// limit in the way of the benchmark's own requests.
    private func startHub(database: String, nodes: Int) throws -> Hub {
        let process = try ChildProcess(
            executable,
            [
                "hub", "serve", "--port", "0", "--database", database, "--max-connections", "\(nodes + 64)",
                "--rate-limit", "100000", "--unauthenticated-rate-limit", "100000", "--idle-timeout", "120s",
            ]
        ).start(capturing: .everything)
        let port = process.waitForPort(after: "listening on http://127.0.0.1:", timeout: .seconds(60))
        guard let port else {
            process.terminate()
            throw OutpostError(.storage, "The hub did not start: \(process.output)")
        }
        return Hub(process: process, port: port)
    }

    /// Adds the tenant and `count` nodes straight into the hub's database; returns their tokens.
    private static func register(nodes count: Int, tenant: String, database: HubDatabase) async throws -> [String] {
        try await withStorage(database) { storage in
            try await storage.migrate()
            _ = try await storage.addTenant(name: tenant)
            var tokens: [String] = []
            for index in 0..<count {
                let token = NodeToken.generate()
                _ = try await storage.addNode(tenant: tenant, name: "node-\(index)", tokenHash: NodeToken.hash(token))
                tokens.append(token)
            }
            return tokens
        }
    }

    /// Leaves a database given with `--database` as it was found.
    private static func removeTenant(_ tenant: String, database: HubDatabase) async throws {
        guard case .postgres = database else { return }
        _ = try await withStorage(database) { storage in try await storage.removeTenant(name: tenant) }
    }

    private static func withStorage<T: Sendable>(
        _ database: HubDatabase,
        _ body: @Sendable (any HubStorage) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "outpost.bench.fleet")
        logger.logLevel = .error
        let (storage, services) = try database.open(logger: logger)
        let running = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for service in services { group.addTask { try await service.run() } }
            }
        }
        defer { running.cancel() }
        return try await body(storage)
    }

    // MARK: Measuring

    private static func metric(_ name: String, client: HTTPClient, base: String) async throws -> Int {
        let text = String(buffer: try await send(client, base + "/metrics", token: nil, body: nil))
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    private static func send(_ client: HTTPClient, _ url: String, token: String?, body: ByteBuffer?) async throws
        -> ByteBuffer
    {
        var request = HTTPClientRequest(url: url)
        request.method = body == nil ? .GET : .POST
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else {
            throw OutpostError(.storage, "The hub answered \(response.status.code): \(String(buffer: answer))")
        }
        return answer
    }

    /// The process's resident memory (`VmRSS` in `/proc/PID/status`), in bytes.
    private static func residentBytes(of process: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// The process's user and system CPU time so far (`/proc/PID/stat`), in seconds.
    private static func cpuSeconds(of process: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Raises this process's open-file limit to its hard limit (the hub it starts inherits it)
    /// and returns the limit now in force.
    private static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

    private static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A database URL without its password, for the report.
    private static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "(redacted)"
        return components.string ?? url
    }
}
