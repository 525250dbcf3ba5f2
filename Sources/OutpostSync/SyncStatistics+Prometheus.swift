extension SyncStatistics {
    /// The statistics in Prometheus text format (version 0.0.4), as `outpost run --metrics`
    /// serves them at `/metrics`. Counters survive restarts (they live in the store).
    public func prometheusText() -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP outpost_node_\(name) \(help)")
            lines.append("# TYPE outpost_node_\(name) \(type)")
            for sample in samples {
                lines.append("outpost_node_\(name)\(sample.labels) \(sample.value)")
            }
        }
        func single(_ name: String, _ type: String, _ help: String, _ value: some Numeric) {
            metric(name, type, help, [("", "\(value)")])
        }
        single("changes_pushed_total", "counter", "Changes the hub applied.", changesPushed)
        single("rows_pulled_total", "counter", "Rows taken from the hub.", rowsPulled)
        single("conflicts_merged_total", "counter", "Conflicts merged by the rules.", conflictsMerged)
        single("conflicts_parked_total", "counter", "Conflicts left for a person.", conflictsParked)
        single("changes_failed_total", "counter", "Changes parked as failed.", changesFailed)
        single("sync_errors_total", "counter", "Failed exchanges with the hub.", errors)
        single("bytes_sent_total", "counter", "Bytes sent to the hub, as on the wire.", bytesSent)
        single("bytes_received_total", "counter", "Bytes received from the hub, as on the wire.", bytesReceived)
        single("bytes_today", "gauge", "Bytes sent and received on this UTC day.", bytesToday)
        if let dailyQuotaBytes {
            single("daily_quota_bytes", "gauge", "Bytes per UTC day before only critical changes go.", dailyQuotaBytes)
        }
        metric(
            "queue_pending",
            "gauge",
            "Changes waiting to be pushed, by priority (10 critical … 1 background).",
            queueByPriority.sorted { Int($0.key) ?? 0 > Int($1.key) ?? 0 }.map {
                ("{priority=\"\($0.key)\"}", "\($0.value)")
            }
        )
        single("queue_failed", "gauge", "Changes parked as failed, waiting for `outpost queue retry`.", failedChanges)
        single("critical_pending", "gauge", "Critical changes waiting to be pushed.", criticalPending)
        single("sync_cursor", "gauge", "The hub sequence number the node holds every change up to.", cursor)
        if let lastSyncMilliseconds {
            single(
                "last_sync_timestamp_seconds",
                "gauge",
                "When the last full sync finished.",
                Double(lastSyncMilliseconds) / 1000
            )
        }
        if let latencyMilliseconds {
            single("link_latency_seconds", "gauge", "Smoothed round-trip time to the hub.", latencyMilliseconds / 1000)
        }
        if let batchSize { single("batch_size", "gauge", "Changes the next push batch may carry.", batchSize) }
        if let online { single("link_up", "gauge", "1 while the hub answers.", online ? 1 : 0) }
        if let probeIntervalSeconds {
            single("probe_interval_seconds", "gauge", "How often the hub is probed now.", probeIntervalSeconds)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
