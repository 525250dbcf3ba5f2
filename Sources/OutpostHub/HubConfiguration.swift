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
    /// Requests per second, on average, that one client address may make without a valid token
    /// (a missing, unknown or revoked one); past it such requests get 429 before any lookup.
    /// Requests with a valid token are limited per node instead. Defaults to 5, bursts of 20.
    public var unauthenticatedRequestsPerSecond: Double = 5
    /// Most connections the hub holds open at once; past it, new ones wait in the kernel's
    /// queue until one closes. Defaults to 1,000.
    public var maximumConnections: Int = 1_000
    /// How long a connection may stay open without a request (before its first request
    /// header is whole, or between requests) before the hub closes it. Defaults to 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a client may take to send a request body; past it the hub answers 408.
    /// Defaults to 60 s.
    public var bodyTimeout: Duration = .seconds(60)
    /// How often housekeeping collects garbage. Defaults to 10 minutes.
    public var housekeepingInterval: Duration = .seconds(600)
    /// How waiting pulls learn of changes made through other hub processes. `nil` (the default):
    /// they follow the database's change feed (PostgreSQL `LISTEN`/`NOTIFY`; SQLite's
    /// `data_version`, checked by one task) and do no work while nothing changes. An interval:
    /// every waiting pull instead checks the database that often, for set-ups where `LISTEN`
    /// does not work (PgBouncer in transaction mode). Pushes through this process wake waiters
    /// at once either way.
    public var crossProcessPollInterval: Duration? = nil
    /// How often a waiting pull checks the database even when following the change feed, in
    /// case a notification was lost. Defaults to 10 s.
    public var changeFeedRecheckInterval: Duration = .seconds(10)

    /// Where `/metrics` is served: `nil` (the default, as before) on the API's own listener, to
    /// anyone who reaches it; a listener of its own (bind it to loopback or a private network)
    /// keeps the counters, which show activity across tenants, off the API's port.
    public var metricsListener: Listener? = nil

    /// TLS for the API's listener; `nil` (the default) serves plain HTTP, for a hub behind a
    /// proxy that terminates TLS, or on loopback.
    public var tls: ServerTLS? = nil
    /// The secret that opens the operator's dashboard (`/admin`); without it the dashboard is
    /// off.
    public var adminToken: String? = nil

    /// More Prometheus text for `/metrics`, read at each scrape: a site hub's upstream link.
    package var extraMetrics: (@Sendable () -> String)? = nil

    /// A host and port to listen on.
    public struct Listener: Sendable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public init() {}
}
