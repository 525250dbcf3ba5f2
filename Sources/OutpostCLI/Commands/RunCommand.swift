import ArgumentParser
import Logging
import OutpostBlobs
import OutpostCore
import OutpostHub
import OutpostRunner
import OutpostStore
import OutpostSync
import OutpostWorkspace
import ServiceLifecycle
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the node: sync continuously until SIGTERM or SIGINT.",
        discussion: """
            Pushes each change as soon as it is queued, long-polls the hub for other nodes' \
            changes, probes the link, backs off while the hub is away and runs maintenance every \
            five minutes. On SIGTERM/SIGINT it finishes the batch in flight, then exits. \
            Set OUTPOST_LOG_LEVEL=info to see each push and pull. With --metrics it also serves \
            the sync statistics for Prometheus at /metrics (port 0 picks a free port; the address \
            is printed), /live (200 while the process answers) and /health: 200, or 503 with the \
            reasons as JSON when the node has not exchanged with its hub for \
            --health-max-sync-age (default 10 minutes), changes the hub refused wait as failed, or \
            the disk under HOME is nearly full (under 5 % or 256 MiB free). Each push and pull \
            the daemon finishes counts as the node's last sync.

            It also runs workflows (docs/runner.md): runs a crash interrupted are found at start, \
            and the workflows of active agents assigned to this node run by their schedule or \
            insert trigger, at most --max-runs at once.

            When the node has a workspace (`outpost workspace init`), it also commits the \
            workspace's pending changes every --workspace-commit-every (default 10 minutes; a plain \
            number is minutes, or give 30s, 2h; 0 turns it off) and syncs it with its remote.

            Examples:
              outpost run --bandwidth 128k
              outpost run --metrics 127.0.0.1:9464 --daily-quota 50m
              outpost run --workspace-commit-every 5
            """
    )
    @OptionGroup var node: NodeOptions
    @OptionGroup var sync: SyncOptions

    @Option(
        name: .customLong("metrics"),
        help: ArgumentHelp("Serve /metrics (Prometheus) at HOST:PORT, or PORT on 127.0.0.1.", valueName: "address")
    )
    var metrics: ListenAddress?

    @Option(
        name: .customLong("metrics-tls-cert"),
        help: "Serve --metrics over HTTPS with this PEM certificate chain.",
        completion: .file()
    )
    var metricsTLSCertificate: String?

    @Option(
        name: .customLong("metrics-tls-key"),
        help: "The PEM private key of --metrics-tls-cert.",
        completion: .file()
    )
    var metricsTLSKey: String?

    @Option(
        help: ArgumentHelp(
            "Commit (and sync) the workspace this often: MINUTES, or 30s, 2h; 0 turns it off.",
            valueName: "interval"
        )
    )
    var workspaceCommitEvery: Interval?

    @Option(
        help: ArgumentHelp(
            "With --metrics, /health answers 503 once the node has not exchanged with its hub for this long: MINUTES, or 30s, 2h.",
            valueName: "interval"
        )
    )
    var healthMaxSyncAge = Interval(duration: .seconds(600))

    @Option(help: "Run at most this many workflows at once on this node.")
    var maxRuns = 4

    @Option(help: "Keep finished executions on this node this many days (the hub keeps them).")
    var executionDays = 30

    @Option(help: "Set the node's file cache budget (e.g. 20g, or none) before starting; see `outpost files budget`.")
    var filesBudget: String?

    func validate() throws {
        guard maxRuns > 0 else { throw ValidationError("--max-runs must be more than 0.") }
        guard executionDays >= 0 else { throw ValidationError("--execution-days must be 0 or more.") }
    }

    func run() async throws {
        guard (metricsTLSCertificate == nil) == (metricsTLSKey == nil) else {
            throw OutpostError(
                .invalidInput,
                "--metrics-tls-cert and --metrics-tls-key go together: give both, or neither."
            )
        }
        guard metricsTLSCertificate == nil || metrics != nil else {
            throw OutpostError(.invalidInput, "--metrics-tls-cert is for the --metrics listener; give --metrics too.")
        }
        let metricsTLS = try metricsTLSCertificate.map { certificate throws(OutpostError) in
            try ServerTLS(certificatePath: certificate, keyPath: metricsTLSKey ?? "")
        }
        let lock = try node.nodeHome.lockForSync()
        var logger = Logger(label: "outpost.run")
        logger.logLevel = Logger.cli.logLevel
        let engine = try sync.engine(for: node, logger: logger)
        if let filesBudget { try setFilesBudget(filesBudget, store: engine.store) }
        let runMetrics = RunMetrics()
        let runner = try node.runner(store: engine.store, logger: logger, metrics: runMetrics)
        var maintenance = MaintenancePolicy()
        maintenance.executionRetentionDays = executionDays
        var services: [any Service] = [
            NodeDaemon(engine: engine, maintenance: maintenance, logger: logger),
            WorkflowService(runner: runner, maximumConcurrentRuns: maxRuns),
        ]
        if let metrics {
            services.append(
                NodeMetricsServer.application(
                    address: metrics,
                    engine: engine,
                    runMetrics: runMetrics,
                    home: node.homePath,
                    maximumSyncAge: healthMaxSyncAge.duration,
                    tls: metricsTLS,
                    logger: logger
                )
            )
        }
        if let autoCommit = try workspaceAutoCommit(store: engine.store, logger: logger) {
            services.append(autoCommit)
            print("outpost run: workspace \(autoCommit.workspace.directory) auto-commits every \(autoCommit.interval)")
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        print("outpost run: node \(engine.store.nodeID) syncing with \(engine.client.remote.url)")
        try await group.run()
        withExtendedLifetime(lock) {}
    }

    /// The workspace's auto-commit, when the node has a workspace and it is not turned off. Asked
    /// for explicitly on a node without a workspace, it is an error.
    private func workspaceAutoCommit(store: Store, logger: Logger) throws(OutpostError) -> WorkspaceAutoCommit? {
        let interval = workspaceCommitEvery?.duration ?? .seconds(600)
        guard interval > .zero else { return nil }
        let workspace: Workspace
        do {
            workspace = try Workspace.open(store: store, identity: Git.Identity(parsing: "outpost"), logger: logger)
        } catch {
            guard workspaceCommitEvery == nil else { throw error }
            return nil
        }
        return WorkspaceAutoCommit(
            workspace: workspace,
            interval: interval,
            mergeDriver: node.mergeDriverCommand,
            logger: logger
        )
    }

    /// Saves `--files-budget` as the node's budget, which the engine keeps after each sync.
    private func setFilesBudget(_ text: String, store: Store) throws {
        let files = try FileStore(store: store, home: node.homePath)
        var policy = try files.cachePolicy()
        if text == "none" {
            policy.budgetBytes = nil
        } else if let bytes = ByteCount(argument: text) {
            policy.budgetBytes = bytes.bytes
        } else {
            throw ValidationError("--files-budget '\(text)' is not a size; write e.g. 500m or 20g, or none.")
        }
        try files.setCachePolicy(policy)
    }
}
