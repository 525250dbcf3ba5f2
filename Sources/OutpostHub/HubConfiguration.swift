/// How a hub runs. Every field has a documented default.
public struct HubConfiguration: Sendable {
    /// Address to listen on. Defaults to `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one. Defaults to 8080.
    public var port: Int = 8080
    /// What clients may send.
    public var limits = HubLimits()
    /// How long the hub keeps tombstones and batch answers a node has not yet seen. A node away
    /// longer is told to resync. Defaults to 30 days.
    public var offlineLease: Duration = .seconds(30 * 24 * 3600)
    /// Requests per second each node may make on average. Defaults to 50.
    public var requestsPerSecond: Double = 50
    /// Requests a node may make in a burst above the average. Defaults to 100.
    public var requestBurst: Double = 100
    /// How often housekeeping collects garbage. Defaults to 10 minutes.
    public var housekeepingInterval: Duration = .seconds(600)
    /// How often a waiting pull checks the database for changes made by other hub processes.
    /// Changes pushed through this process wake waiters at once. Defaults to 50 ms.
    public var crossProcessPollInterval: Duration = .milliseconds(50)

    public init() {}
}
