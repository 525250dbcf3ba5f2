import Prometheus

/// Run durations as a Prometheus histogram, recorded by the runner as runs end in this process
/// (`outpost run --metrics` serves it beside ``RunnerStatistics``).
public final class RunMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let durations: DurationHistogram

    public init() {
        durations = registry.makeDurationHistogram(
            name: "outpost_node_run_duration_seconds",
            buckets: [
                .milliseconds(10), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
                .seconds(60), .seconds(300), .seconds(1_800),
            ],
            help: "How long the workflow runs this process made took, from start to end."
        )
    }

    func record(_ duration: Duration) { durations.record(duration) }

    public func prometheusText() -> String { registry.emitToString() }
}
