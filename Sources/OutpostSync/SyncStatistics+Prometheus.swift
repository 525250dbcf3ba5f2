import Prometheus

extension SyncStatistics {
    /// The statistics in Prometheus text format, as `outpost run --metrics` serves them at
    /// `/metrics` (through swift-prometheus). Counters survive restarts (they live in the store),
    /// so each scrape renders the stored values afresh.
    public func prometheusText() -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ value: Int64) {
            registry.makeCounter(name: "outpost_node_" + name, help: help).increment(by: value)
        }
        func gauge(_ name: String, _ help: String, _ value: Double, labels: [(String, String)] = []) {
            registry.makeGauge(name: "outpost_node_" + name, labels: labels, help: help).set(value)
        }
        counter("changes_pushed_total", "Changes the hub applied.", changesPushed)
        counter("rows_pulled_total", "Rows taken from the hub.", rowsPulled)
        counter("conflicts_merged_total", "Conflicts merged by the rules.", conflictsMerged)
        counter("conflicts_parked_total", "Conflicts left for a person.", conflictsParked)
        counter("changes_failed_total", "Changes parked as failed.", changesFailed)
        counter("sync_errors_total", "Failed exchanges with the hub.", errors)
        counter("bytes_sent_total", "Bytes sent to the hub, as on the wire.", bytesSent)
        counter("bytes_received_total", "Bytes received from the hub, as on the wire.", bytesReceived)
        gauge("bytes_today", "Bytes sent and received on this UTC day.", Double(bytesToday))
        if let dailyQuotaBytes {
            gauge("daily_quota_bytes", "Bytes per UTC day before only critical changes go.", Double(dailyQuotaBytes))
        }
        for (priority, count) in queueByPriority.sorted(by: { Int($0.key) ?? 0 > Int($1.key) ?? 0 }) {
            gauge(
                "queue_pending",
                "Changes waiting to be pushed, by priority (10 critical … 1 background).",
                Double(count),
                labels: [("priority", priority)]
            )
        }
        gauge(
            "queue_failed",
            "Changes the hub refused, parked as failed until a person retries them.",
            Double(failedChanges)
        )
        gauge("critical_pending", "Critical changes waiting to be pushed.", Double(criticalPending))
        gauge("sync_cursor", "The hub sequence number the node holds every change up to.", Double(cursor))
        if let lastSyncMilliseconds {
            gauge(
                "last_sync_timestamp_seconds",
                "When the last full sync finished.",
                Double(lastSyncMilliseconds) / 1000
            )
        }
        if let latencyMilliseconds {
            gauge("link_latency_seconds", "Smoothed round-trip time to the hub.", latencyMilliseconds / 1000)
        }
        if let batchSize { gauge("batch_size", "Changes the next push batch may carry.", Double(batchSize)) }
        if let online { gauge("link_up", "1 while the hub answers.", online ? 1 : 0) }
        if let probeIntervalSeconds {
            gauge("probe_interval_seconds", "How often the hub is probed now.", probeIntervalSeconds)
        }
        return registry.emitToString()
    }
}
