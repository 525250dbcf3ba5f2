import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OutpostCore
package import OutpostHub
import OutpostProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// What N idle long polls cost the hub: CPU time of this process (hub and clients) while N
/// pulls wait and nothing changes, with waiters following the change feed, against the same
/// with every waiter checking the database every 50 ms (the hub's behaviour before the feed,
/// still available as `--cross-process-poll`), in the same run. A conflict first moves the
/// tenant's sequence past its last row, the case where each check used to run a pull.
package struct PollBenchmark {
    let polls: Int
    let window: Duration
    let database: HubDatabase
    private let folder: String

    package init(polls: Int, seconds: Int, database: HubDatabase?) {
        self.polls = polls
        window = .seconds(seconds)
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(UUID().uuidString)").path
        self.database = database ?? .sqlite(path: folder + "/hub.sqlite")
    }

    package struct Phase: Encodable {
        var mode: String
        var cpuSeconds: Double
        var percentOfCore: Double
        var checks: Int

        enum CodingKeys: String, CodingKey {
            case mode, checks
            case cpuSeconds = "cpu_seconds"
            case percentOfCore = "percent_of_core"
        }
    }

    package struct Result: Encodable {
        var machine: String
        var database: String
        var polls: Int
        var seconds: Double
        var polling: Phase
        var changeFeed: Phase
        var ratio: Double

        enum CodingKeys: String, CodingKey {
            case machine, database, polls, seconds, polling, ratio
            case changeFeed = "change_feed"
        }

        package var report: String {
            func line(_ phase: Phase) -> String {
                "\(phase.mode.padding(toLength: 28, withPad: " ", startingAt: 0))"
                    + "\(String(format: "%5.1f", phase.percentOfCore)) % of a core  "
                    + "(\(String(format: "%.2f", phase.cpuSeconds)) s CPU, \(phase.checks) database checks)"
            }
            return """
                \(polls) idle long polls for \(Int(seconds)) s
                \(line(polling))
                \(line(changeFeed))
                ratio \(String(format: "%.3f", ratio))  (change feed ÷ polling CPU time)
                """
        }
    }

    package func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        progress("machine: \(MachineDescription.current); database \(database); \(polls) polls")
        let polling = try await phase(mode: "every waiter polls (50 ms)", pollInterval: .milliseconds(50))
        progress("polling: \(String(format: "%.1f", polling.percentOfCore)) % of a core")
        let feed = try await phase(mode: "change feed", pollInterval: nil)
        progress("change feed: \(String(format: "%.1f", feed.percentOfCore)) % of a core")
        return Result(
            machine: MachineDescription.current,
            database: "\(database)",
            polls: polls,
            seconds: Self.seconds(window),
            polling: polling,
            changeFeed: feed,
            ratio: feed.cpuSeconds / max(polling.cpuSeconds, 0.000_001)
        )
    }

    private func phase(mode: String, pollInterval: Duration?) async throws -> Phase {
        let (polls, window) = (self.polls, self.window)
        return try await BenchHub.with(
            database: database,
            configure: { $0.crossProcessPollInterval = pollInterval }
        ) { storage, port in
            var ids = UUIDv7()
            let tenantName = "bench-polls-" + ids.next().replacingOccurrences(of: "-", with: "")
            let tenant = try await storage.addTenant(name: tenantName)
            let token = NodeToken.generate()
            _ = try await storage.addNode(tenant: tenantName, name: "bench", tokenHash: NodeToken.hash(token))
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = polls + 4
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let base = "http://127.0.0.1:\(port)"
            do {
                // A row, then a conflict on it: the sequence moves past the last row.
                for baseVersion in [Int64(0), 0] {
                    let push = PushRequest(
                        batchID: ids.next(),
                        changes: [
                            Change(
                                id: ids.next(),
                                table: "readings",
                                key: "only",
                                operation: .upsert,
                                baseVersion: baseVersion,
                                data: ["v": 1],
                                hlc: 1
                            )
                        ]
                    )
                    _ = try await Self.send(
                        client,
                        base + "/v1/push",
                        token: token,
                        body: ByteBuffer(bytes: try JSONEncoder().encode(push))
                    )
                }
                let cursor = try await storage.lastSequence(tenantID: tenant.id)
                let waiting = Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<polls {
                            group.addTask {
                                while !Task.isCancelled {
                                    _ = try? await Self.send(
                                        client,
                                        base + "/v1/pull?after=\(cursor)&wait_ms=30000",
                                        token: token,
                                        body: nil
                                    )
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                // Let every poll start waiting, then measure.
                try await Task.sleep(for: .seconds(2))
                let checksBefore = try await Self.checks(client, base)
                let cpuBefore = Self.cpuSeconds()
                try await Task.sleep(for: window)
                let cpu = Self.cpuSeconds() - cpuBefore
                let checks = try await Self.checks(client, base) - checksBefore
                waiting.cancel()
                try? await client.shutdown()
                return Phase(
                    mode: mode,
                    cpuSeconds: cpu,
                    percentOfCore: 100 * cpu / Self.seconds(window),
                    checks: checks
                )
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    private static func send(_ client: HTTPClient, _ url: String, token: String, body: ByteBuffer?) async throws
        -> ByteBuffer
    {
        var request = HTTPClientRequest(url: url)
        request.method = body == nil ? .GET : .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        return try await response.body.collect(upTo: 16 << 20)
    }

    private static func checks(_ client: HTTPClient, _ base: String) async throws -> Int {
        let text = String(buffer: try await send(client, base + "/metrics", token: "", body: nil))
        let line = text.split(separator: "\n").first { $0.hasPrefix("outpost_hub_pull_wait_checks_total ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// User and system CPU time of this process so far.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
