import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import OutpostCore
import OutpostHub
import OutpostRunner
import OutpostSync

/// `outpost run --metrics HOST:PORT`: the node's statistics for Prometheus at `/metrics`,
/// `/health` (200, or 503 with the reasons a person should look: see ``NodeHealth``) and
/// `/live` (200 while the process answers), served beside the daemon (the same service group,
/// so SIGTERM stops both).
enum NodeMetricsServer {
    static func application(
        address: ListenAddress,
        engine: SyncEngine,
        runMetrics: RunMetrics,
        home: String,
        maximumSyncAge: Duration,
        tls: ServerTLS?,
        logger: Logger
    ) -> some ApplicationProtocol {
        let startedAt = Date()
        let router = Router()
        router.get("/metrics") { _, _ in
            let text: String
            do {
                text =
                    try SyncStatistics.load(engine: engine, home: home).prometheusText()
                    + RunnerStatistics.load(store: engine.store).prometheusText() + runMetrics.prometheusText()
            } catch {
                return Response(
                    status: .serviceUnavailable,
                    body: .init(byteBuffer: ByteBuffer(string: "The node's store could not be read: \(error)\n"))
                )
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        router.get("/health") { _, _ in
            let health: NodeHealth
            do {
                let statistics = try SyncStatistics.load(engine: engine, home: home)
                let disk = NodeHealth.diskSpace(at: home)
                health = NodeHealth(
                    lastSyncMilliseconds: statistics.lastSyncMilliseconds,
                    now: Date(),
                    runningSince: startedAt,
                    maximumSyncAge: maximumSyncAge,
                    failedChanges: statistics.failedChanges,
                    freeBytes: disk?.free,
                    totalBytes: disk?.total
                )
            } catch {
                health = NodeHealth(reasons: ["the node's store could not be read: \(error)"])
            }
            return Response(
                status: health.isHealthy ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: health.json.encoded() + "\n"))
            )
        }
        router.get("/live") { _, _ in "ok\n" }
        let host = address.host
        let scheme = tls == nil ? "http" : "https"
        return Application(
            router: router,
            server: ServerTLS.serving(.http1(), with: tls),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "outpost-node"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                FileHandle.standardOutput.write(Data("metrics on \(scheme)://\(host):\(port)/metrics\n".utf8))
            },
            logger: logger
        )
    }
}

/// A `HOST:PORT` (or just `PORT`, on 127.0.0.1) to listen on.
struct ListenAddress: ExpressibleByArgument {
    var host: String
    var port: Int

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            host = "127.0.0.1"
        case 2 where !parts[0].isEmpty:
            host = String(parts[0])
        default:
            return nil
        }
        guard let port = Int(parts.last!), (0...65_535).contains(port) else { return nil }
        self.port = port
    }
}
