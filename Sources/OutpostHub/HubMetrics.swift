import Synchronization

/// Counters the hub exports at `/metrics` in Prometheus text format.
final class HubMetrics: Sendable {
    private let requests = Mutex<[String: Int]>([:])
    let changesApplied = Atomic<Int>(0)
    let conflicts = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)
    let pullWaiters = Atomic<Int>(0)
    let pullWaitChecks = Atomic<Int>(0)
    let chunksStored = Atomic<Int>(0)

    func recordRequest(route: String, status: Int) {
        requests.withLock { $0["\(route)|\(status)", default: 0] += 1 }
    }

    /// The Prometheus exposition text.
    func render() -> String {
        var lines = [
            "# HELP outpost_hub_requests_total HTTP requests by route and status.",
            "# TYPE outpost_hub_requests_total counter",
        ]
        for (key, count) in requests.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1)
            lines.append("outpost_hub_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(count)")
        }
        func metric(_ name: String, _ type: String, _ help: String, _ value: Int) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            lines.append("\(name) \(value)")
        }
        metric(
            "outpost_hub_changes_applied_total",
            "counter",
            "Pushed changes applied.",
            changesApplied.load(ordering: .relaxed)
        )
        metric(
            "outpost_hub_conflicts_total",
            "counter",
            "Pushed changes answered with a conflict.",
            conflicts.load(ordering: .relaxed)
        )
        metric(
            "outpost_hub_bytes_in_total",
            "counter",
            "Request body bytes received, as sent.",
            bytesIn.load(ordering: .relaxed)
        )
        metric(
            "outpost_hub_bytes_out_total",
            "counter",
            "Response body bytes sent, as sent.",
            bytesOut.load(ordering: .relaxed)
        )
        metric(
            "outpost_hub_chunks_stored_total",
            "counter",
            "File chunks uploaded that the tenant did not have.",
            chunksStored.load(ordering: .relaxed)
        )
        metric(
            "outpost_hub_pull_waiters",
            "gauge",
            "Pulls waiting for new changes.",
            pullWaiters.load(ordering: .relaxed)
        )
        metric(
            "outpost_hub_pull_wait_checks_total",
            "counter",
            "Database checks made by waiting pulls (a wake by a change, or the periodic recheck).",
            pullWaitChecks.load(ordering: .relaxed)
        )
        return lines.joined(separator: "\n") + "\n"
    }
}
