import Prometheus

/// What the hub exports at `/metrics`, in Prometheus text format (through swift-prometheus).
///
/// Requests are counted by route and status, and timed by route (a waiting pull's time includes
/// its wait).
final class HubMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    let changesApplied: Counter
    let conflicts: Counter
    let bytesIn: Counter
    let bytesOut: Counter
    let chunksStored: Counter
    let pullWaiters: Gauge
    let pullWaitChecks: Counter

    /// Upper bounds of the request-duration buckets: from a cached read to a long poll's wait.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    init() {
        changesApplied = registry.makeCounter(
            name: "outpost_hub_changes_applied_total",
            help: "Pushed changes applied."
        )
        conflicts = registry.makeCounter(
            name: "outpost_hub_conflicts_total",
            help: "Pushed changes answered with a conflict."
        )
        bytesIn = registry.makeCounter(
            name: "outpost_hub_bytes_in_total",
            help: "Request body bytes received, as sent."
        )
        bytesOut = registry.makeCounter(name: "outpost_hub_bytes_out_total", help: "Response body bytes sent, as sent.")
        chunksStored = registry.makeCounter(
            name: "outpost_hub_chunks_stored_total",
            help: "File chunks uploaded that the tenant did not have."
        )
        pullWaiters = registry.makeGauge(name: "outpost_hub_pull_waiters", help: "Pulls waiting for new changes.")
        pullWaitChecks = registry.makeCounter(
            name: "outpost_hub_pull_wait_checks_total",
            help: "Database checks made by waiting pulls (a wake by a change, or the periodic recheck)."
        )
    }

    /// Counts one answered request and records how long it took.
    func recordRequest(route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "outpost_hub_requests_total",
            labels: [("route", route), ("status", String(status))],
            help: "HTTP requests by route and status."
        ).increment()
        registry.makeDurationHistogram(
            name: "outpost_hub_request_duration_seconds",
            labels: [("route", route)],
            buckets: Self.durationBuckets,
            help: "Time from a request's arrival to its answer, by route."
        ).record(duration)
    }

    /// The Prometheus exposition text.
    func render() -> String {
        registry.emitToString()
    }
}
