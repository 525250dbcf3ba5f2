import Foundation
import Logging
import ServiceLifecycle

/// Collects garbage periodically: tombstones every live node has passed or that outlived the
/// offline lease, and old batch answers. Runs while the hub runs; stops on graceful shutdown.
struct HubHousekeeping: Service {
    let storage: any HubStorage
    let configuration: HubConfiguration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await loop() }
    }

    private func loop() async throws {
        while true {
            try await Task.sleep(for: configuration.housekeepingInterval)
            do {
                let report = try await storage.collectGarbage(lease: configuration.offlineLease, now: Date())
                logger.info(
                    "Housekeeping done",
                    metadata: [
                        "hub.gc.tombstones": "\(report.tombstones)", "hub.gc.batches": "\(report.batches)",
                        "hub.gc.chunks": "\(report.chunks)", "hub.gc.chunk_bytes": "\(report.chunkBytes)",
                        "hub.gc.chunks_waiting": "\(report.chunksWaiting)",
                    ]
                )
            } catch {
                logger.warning("Housekeeping failed; will retry", metadata: ["hub.error": "\(error)"])
            }
        }
    }
}
