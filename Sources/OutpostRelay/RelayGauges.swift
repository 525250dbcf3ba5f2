import Foundation
import Synchronization

/// The relay's link as Prometheus text, appended to the site hub's `/metrics`: the same facts
/// `outpost hub status` reads from the ledger, kept in memory as each round ends.
package final class RelayGauges: Sendable {
    private struct Snapshot {
        var up = false
        var roundSeconds = 0.0
        var waiting = 0
        var held = 0
        var bytesSent = 0
        var bytesReceived = 0
        var lastExchange = 0.0
        var failures = 0
    }

    private let snapshot = Mutex(Snapshot())

    package init() {}

    func recordExchange(roundTrip: Duration, waiting: Int, held: Int) {
        snapshot.withLock {
            $0.up = true
            $0.roundSeconds =
                Double(roundTrip.components.seconds) + Double(roundTrip.components.attoseconds) / 1e18
            $0.waiting = waiting
            $0.held = held
            $0.lastExchange = Date().timeIntervalSince1970
        }
    }

    func recordFailure() {
        snapshot.withLock {
            $0.up = false
            $0.failures += 1
        }
    }

    func count(sent: Int, received: Int) {
        snapshot.withLock {
            $0.bytesSent += sent
            $0.bytesReceived += received
        }
    }

    /// The gauges and counters in Prometheus's text format.
    package func render() -> String {
        let now = snapshot.withLock { $0 }
        func metric(_ name: String, _ type: String, _ help: String, _ value: String) -> String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        return metric(
            "outpost_relay_link_up",
            "gauge",
            "1 when the last round with the upstream hub worked.",
            now.up ? "1" : "0"
        )
            + metric(
                "outpost_relay_round_seconds",
                "gauge",
                "How long the last whole round took.",
                String(now.roundSeconds)
            )
            + metric(
                "outpost_relay_waiting_changes",
                "gauge",
                "Site changes not yet accepted upstream.",
                String(now.waiting)
            )
            + metric(
                "outpost_relay_held_changes",
                "gauge",
                "Of those, held for a person or refused upstream.",
                String(now.held)
            )
            + metric(
                "outpost_relay_bytes_sent_total",
                "counter",
                "Bytes sent to the upstream hub.",
                String(now.bytesSent)
            )
            + metric(
                "outpost_relay_bytes_received_total",
                "counter",
                "Bytes received from the upstream hub.",
                String(now.bytesReceived)
            )
            + metric(
                "outpost_relay_last_exchange_timestamp_seconds",
                "gauge",
                "When the last round with the upstream worked (Unix time).",
                String(now.lastExchange)
            )
            + metric("outpost_relay_failures_total", "counter", "Rounds that failed.", String(now.failures))
    }
}
