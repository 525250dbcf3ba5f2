import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import OutpostCore
import OutpostHub
import OutpostRelay
import OutpostSync
import ServiceLifecycle
import UnixSignals

struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the hub that nodes sync through, and manage its tenants and nodes.",
        discussion: """
            The hub keeps its data in HOME/hub.sqlite by default (HOME is --home, else \
            $OUTPOST_HUB_HOME, else ./.outpost-hub), or in PostgreSQL with --database.

            Example:
              outpost hub tenant add acme
              outpost hub node add --tenant acme --name line-1   # prints its token once
              outpost hub serve --port 8080
            """,
        subcommands: [
            Serve.self, TenantCommand.self, NodeCommand.self, CollectGarbage.self, NewEpoch.self, Backup.self,
            Restore.self, Config.self, ScopeCommand.self, HubRulesCommand.self, Status.self, Relay.self,
        ]
    )

    /// A century: longer leases only overflow the arithmetic on them.
    static let maximumLeaseDays = 36_500

    struct CollectGarbage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Collect garbage now: passed tombstones, old batch answers and unreached file chunks.",
            discussion: """
                A running hub does this every ten minutes. A tombstone goes once every live node \
                has pulled past it, or once it is older than the lease; a node offline for longer \
                than the lease must then re-sync in full (it does so by itself, keeping its own \
                unsynced writes). Use the same --lease-days as `hub serve`.

                A file chunk that no live `files` row reaches (neither a chunk list nor a data \
                chunk one lists) waits a whole lease, then goes; a chunk reached again meanwhile \
                stops waiting. A tenant with a live file whose chunk list the hub cannot read \
                keeps all its chunks. The hub refuses a `files` row whose chunks it lacks, so a \
                node that put the same content again uploads it again.

                Example:
                  outpost hub gc --lease-days 30 --json
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "Days a node may stay offline before it must resync.") var leaseDays = 30
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...HubCommand.maximumLeaseDays).contains(leaseDays) else {
                throw ValidationError("--lease-days must be from 1 to \(HubCommand.maximumLeaseDays).")
            }
        }

        func run() async throws {
            let lease = Duration.seconds(leaseDays * 24 * 3600)
            let report = try await hub.withStorage { try await $0.collectGarbage(lease: lease, now: Date()) }
            if output.json {
                Output.json(report)
            } else {
                print(
                    "Collected \(report.tombstones) tombstone(s), \(report.batches) old batch answer(s) and "
                        + "\(report.chunks) file chunk(s) (\(report.chunkBytes) bytes); \(report.chunksWaiting) "
                        + "unreached chunk(s) wait out the lease."
                )
                if !report.tenantsSkipped.isEmpty {
                    print(
                        "Chunks kept whole for tenant(s) \(report.tenantsSkipped.joined(separator: ", ")): a live file's "
                            + "chunk list is missing or unreadable on the hub."
                    )
                }
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the sync API until SIGTERM or SIGINT.",
            discussion: """
                Migrations run at start. Several hub processes may share one PostgreSQL database. \
                With --tls-cert and --tls-key the hub speaks HTTPS only (TLS 1.2 or later); nodes \
                trust it through the system's certificates or `outpost remote set … --ca-file`. \
                With --tls-client-ca too, a node must also present a client certificate that \
                authority signed (`outpost remote set … --client-cert F --client-key F`), as well \
                as its token. With --tls-client-certs optional, a node may connect without one, \
                and the requirement is set per tenant (`outpost hub tenant set NAME \
                --require-client-cert true`) or per node (`outpost hub node set-cert ID \
                --client-cert F` binds its token to that one certificate).

                With --admin-token-file F, the hub serves the operator's dashboard at /admin: \
                tenants and their chunk storage, nodes with their lag, last contact, release and \
                the failed and parked changes they report, and the last hour's pushes and pulls. \
                Sign in with the token in the browser (over TLS when the hub is not on loopback).

                With --upstream URL the hub is a site hub: it serves its site's nodes as any hub \
                does and is itself a node of the upstream hub for its tenant (its credential there \
                from --upstream-token-file or $OUTPOST_UPSTREAM_TOKEN). What its nodes push goes \
                up, what the rest of the fleet pushes comes down, and the site keeps syncing while \
                the link is down (docs/clusters.md). `outpost hub status` shows the link.

                Example:
                  outpost hub serve
                  outpost hub serve --port 8081 --upstream http://cloud:8080 \\
                    --upstream-token-file site-1.token
                  outpost hub serve --host 0.0.0.0 --tls-cert hub.pem --tls-key hub.key
                  outpost hub serve --port 9000 --database postgres://outpost@db/outpost \\
                    --database-password-file /etc/outpost/pg-password
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "Address to listen on.") var host = "127.0.0.1"
        @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
        @Option(help: "Days a node may stay offline before it must resync.") var leaseDays = 30
        @Option(help: "Requests per second per node, on average.") var rateLimit: Double = 50
        @Option(help: "Largest request body in MiB.") var maxBodyMib = 16
        @Option(help: "Requests per second one address may make without a valid token (429 past it).")
        var unauthenticatedRateLimit: Double = 5
        @Option(help: "Most connections held open at once; more wait until one closes.") var maxConnections = 1000
        @Option(help: "Close a connection that sends no request for this long (e.g. 30s).")
        var idleTimeout = Interval(duration: .seconds(30))
        @Option(help: "Answer 408 when a request body takes longer than this (e.g. 60s).")
        var bodyTimeout = Interval(duration: .seconds(60))
        @Option(
            help: """
                Make waiting pulls check the database this often (e.g. 1s) instead of following its \
                change feed; for PostgreSQL behind a pooler without LISTEN (PgBouncer in transaction mode).
                """
        )
        var crossProcessPoll: Interval?
        @Option(
            help: """
                Serve /metrics on this HOST:PORT of its own instead of the API's listener, where anyone \
                who reaches the hub can read it (e.g. 127.0.0.1:9465; port 0 picks one).
                """
        )
        var metricsListen: String?

        @Option(help: "Relay this hub's tenant to the hub at this URL, as one of its nodes (a site hub).")
        var upstream: String?
        @Option(
            help: """
                The file (mode 0600) holding this hub's node token at the upstream \
                (`outpost hub node add … --json` there). Without it, $OUTPOST_UPSTREAM_TOKEN.
                """,
            completion: .file()
        )
        var upstreamTokenFile: String?
        @Option(help: "The tenant to relay upstream; defaults to the hub's only tenant.")
        var upstreamTenant: String?
        @Option(help: "With an https --upstream: trust the upstream's certificate through this PEM authority.")
        var upstreamCaFile: String?
        @Option(help: "The pause between relay rounds while the upstream link works (e.g. 1s, 0.2s).")
        var upstreamInterval = Interval(duration: .seconds(1))
        @Option(help: "Cap on the bytes per second the relay may use on the WAN link (e.g. 64k, 2m).")
        var upstreamBandwidth: ByteCount?
        @Option(
            help: """
                Bytes per UTC day the relay may use on the WAN link (e.g. 500m); then it waits for \
                the next day while the site keeps working on its own.
                """
        )
        var upstreamDailyQuota: ByteCount?

        @Option(
            name: .customLong("tls-cert"),
            help: "Serve HTTPS with this PEM certificate chain (the server's certificate first).",
            completion: .file()
        )
        var tlsCertificate: String?

        @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.", completion: .file())
        var tlsKey: String?

        @Option(
            name: .customLong("tls-client-ca"),
            help:
                "With --tls-cert: require every node to present a client certificate this PEM authority signed (mutual TLS).",
            completion: .file()
        )
        var tlsClientAuthority: String?

        @Option(
            name: .customLong("tls-client-certs"),
            help: """
                With --tls-client-ca: 'required' (every connection presents a certificate) or \
                'optional' (tenants and nodes that require one say so).
                """
        )
        var tlsClientCertificates: ClientCertificateMode = .required

        @Option(
            name: .customLong("admin-token-file"),
            help: """
                Turn on the operator's dashboard at /admin, opened by the secret in this file \
                (mode 0600, 16 characters or more; e.g. `openssl rand -hex 32`).
                """,
            completion: .file()
        )
        var adminTokenFile: String?

        /// Whether every TLS connection must present a client certificate.
        enum ClientCertificateMode: String, ExpressibleByArgument, CaseIterable {
            case required, optional
        }

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535.") }

            guard (1...HubCommand.maximumLeaseDays).contains(leaseDays) else {
                throw ValidationError("--lease-days must be from 1 to \(HubCommand.maximumLeaseDays).")
            }
            guard rateLimit > 0, rateLimit <= 1_000_000 else {
                throw ValidationError("--rate-limit must be more than 0 and at most 1000000.")
            }
            guard (1...4096).contains(maxBodyMib) else {
                throw ValidationError("--max-body-mib must be from 1 to 4096.")
            }
            guard unauthenticatedRateLimit > 0, unauthenticatedRateLimit <= 1_000_000 else {
                throw ValidationError("--unauthenticated-rate-limit must be more than 0 and at most 1000000.")
            }
            guard (1...1_000_000).contains(maxConnections) else {
                throw ValidationError("--max-connections must be from 1 to 1000000.")
            }
            guard idleTimeout.duration >= .seconds(1), bodyTimeout.duration >= .seconds(1) else {
                throw ValidationError("--idle-timeout and --body-timeout must be at least 1s.")
            }
        }

        func run() async throws {
            let database = try hub.resolvedDatabase()
            var configuration = HubConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.offlineLease = .seconds(leaseDays * 24 * 3600)
            configuration.requestsPerSecond = rateLimit
            configuration.requestBurst = max(rateLimit * 2, 10)
            configuration.limits.maximumBodyBytes = maxBodyMib << 20
            configuration.unauthenticatedRequestsPerSecond = unauthenticatedRateLimit
            configuration.maximumConnections = maxConnections
            configuration.idleTimeout = idleTimeout.duration
            configuration.bodyTimeout = bodyTimeout.duration
            guard (tlsCertificate == nil) == (tlsKey == nil) else {
                throw OutpostError(
                    .invalidInput,
                    "--tls-cert and --tls-key go together: give both for HTTPS, or neither for plain HTTP."
                )
            }
            guard tlsClientAuthority == nil || tlsCertificate != nil else {
                throw OutpostError(
                    .invalidInput,
                    "--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first."
                )
            }
            guard tlsClientCertificates == .required || tlsClientAuthority != nil else {
                throw OutpostError(
                    .invalidInput,
                    "--tls-client-certs optional needs --tls-client-ca: the authority that signs the certificates."
                )
            }
            if let tlsCertificate, let tlsKey {
                configuration.tls = try ServerTLS(
                    certificatePath: tlsCertificate,
                    keyPath: tlsKey,
                    clientAuthorityPath: tlsClientAuthority,
                    clientCertificatesOptional: tlsClientCertificates == .optional
                )
            }
            if let adminTokenFile {
                let token = try SecretFile.read(adminTokenFile, what: "admin token file")
                guard token.count >= 16 else {
                    throw OutpostError(
                        .invalidInput,
                        "The admin token in \(adminTokenFile) is \(token.count) characters; use 16 or more "
                            + "(openssl rand -hex 32 > FILE)."
                    )
                }
                configuration.adminToken = token
            }
            if let metricsListen {
                let parts = metricsListen.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (0...65535).contains(port) else {
                    throw ValidationError("--metrics-listen must be HOST:PORT, e.g. 127.0.0.1:9465.")
                }
                configuration.metricsListener = .init(host: String(parts[0]), port: port)
            }
            if let crossProcessPoll {
                guard crossProcessPoll.duration >= .milliseconds(10) else {
                    throw ValidationError("--cross-process-poll must be at least 10 ms (e.g. 1s).")
                }
                configuration.crossProcessPollInterval = crossProcessPoll.duration
            }
            var logger = Logger(label: "outpost.hub")
            logger.logLevel =
                ProcessInfo.processInfo.environment["OUTPOST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            let host = self.host
            let metricsHost = configuration.metricsListener?.host ?? host
            if configuration.metricsListener == nil, !["127.0.0.1", "localhost", "::1"].contains(host) {
                logger.warning(
                    """
                    /metrics is served to anyone who reaches \(host):\(port) and shows activity across tenants; \
                    use --metrics-listen 127.0.0.1:9465 to serve it on a listener of its own
                    """
                )
            }
            let relay = try upstreamRelay()
            if let relay {
                // The tenant to relay exists before the hub starts serving, not after.
                _ = try await hub.withStorage { storage in
                    try await SiteTenant.tenant(in: storage, named: relay.tenant)
                }
                configuration.extraMetrics = { [gauges = relay.gauges] in gauges.render() }
            }
            var hub = HubServer(
                database: database,
                configuration: configuration,
                logger: logger,
                onServerRunning: { [scheme = configuration.tls == nil ? "http" : "https"] port in
                    let line = "Outpost hub listening on \(scheme)://\(host):\(port) (database \(database))\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                },
                onMetricsRunning: { port in
                    let line = "Outpost hub metrics on http://\(metricsHost):\(port)/metrics\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
            )
            if let relay {
                hub.companions = { [logger] storage, ready in
                    [UpstreamRelay(configuration: relay, storage: storage, ready: ready, logger: logger)]
                }
            }
            do {
                try await ServiceGroup(
                    configuration: .init(services: [hub], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
                ).run()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                let metrics = configuration.metricsListener.map { " or \($0.host):\($0.port) (--metrics-listen)" } ?? ""
                throw OutpostError(
                    .failedPrecondition,
                    "Cannot listen on \(host):\(port)\(metrics): another program already uses the port. Stop it, "
                        + "or choose another port."
                )
            }
        }
    }
}

extension HubCommand.Serve {
    /// The relay to the upstream that --upstream asks for, with its credential read safely.
    func upstreamRelay() throws -> UpstreamRelay.Configuration? {
        guard let upstream else {
            guard upstreamTokenFile == nil, upstreamTenant == nil, upstreamCaFile == nil, upstreamBandwidth == nil,
                upstreamDailyQuota == nil
            else {
                throw OutpostError(
                    .invalidInput,
                    "--upstream-token-file, --upstream-tenant, --upstream-ca-file, --upstream-bandwidth and "
                        + "--upstream-daily-quota go with --upstream URL."
                )
            }
            return nil
        }
        guard upstreamInterval.duration >= .milliseconds(10) else {
            throw ValidationError("--upstream-interval must be at least 0.01s (e.g. 1s).")
        }
        let token: String
        if let upstreamTokenFile {
            token = try SecretFile.read(upstreamTokenFile, what: "upstream token file")
        } else if let fromEnvironment = ProcessInfo.processInfo.environment["OUTPOST_UPSTREAM_TOKEN"],
            !fromEnvironment.isEmpty
        {
            token = fromEnvironment
        } else {
            throw OutpostError(
                .invalidInput,
                "--upstream needs this hub's node token at the upstream: --upstream-token-file FILE (mode 0600) "
                    + "or $OUTPOST_UPSTREAM_TOKEN. Make one there with `outpost hub node add --tenant T --name SITE --json`."
            )
        }
        var configuration = UpstreamRelay.Configuration(
            remote: try RemoteConfiguration(url: upstream, token: token, caFile: upstreamCaFile),
            tenant: upstreamTenant,
            ledgerPath: hub.homeFolder + "/upstream.sqlite"
        )
        configuration.interval = upstreamInterval.duration
        configuration.bandwidthBytesPerSecond = upstreamBandwidth.map { Double($0.bytes) }
        configuration.dailyQuotaBytes = upstreamDailyQuota?.bytes
        return configuration
    }
}

/// `--home` and `--database` for hub commands.
struct HubOptions: ParsableArguments {
    @Option(help: "The hub's home folder. Defaults to $OUTPOST_HUB_HOME, else ./.outpost-hub.", completion: .directory)
    var home: String?
    @Option(
        help: """
            sqlite:PATH or postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…][&prepared_statements=off] (off behind \
            a pooler that does not keep prepared statements). Defaults to $OUTPOST_HUB_DATABASE, else \
            sqlite:HOME/hub.sqlite.
            """
    )
    var database: String?
    @Option(
        help: """
            A file (mode 0600) holding the PostgreSQL password. Without it, $PGPASSWORD is used. A password \
            inside --database shows in `ps` to every local user.
            """,
        completion: .file()
    )
    var databasePasswordFile: String?
    @Option(
        help: """
            A settings file for hub commands (see `outpost hub config --help`). Defaults to \
            $OUTPOST_HUB_CONFIG, else HOME/hub.toml when it exists.
            """,
        completion: .file()
    )
    var config: String?

    func resolvedDatabase() throws -> HubDatabase {
        let environment = ProcessInfo.processInfo.environment
        if let text = database ?? environment["OUTPOST_HUB_DATABASE"] {
            // Only what the command line itself says shows in `ps`, not what a settings file added.
            let typed = SettingsResolver.value(of: "database", in: CommandLine.arguments)
            if let typed, HubDatabase.hasInlinePassword(typed) {
                FileHandle.standardError.write(
                    Data(
                        ("warning: the password in --database is visible to every local user in `ps`; use "
                            + "--database-password-file, $PGPASSWORD or $OUTPOST_HUB_DATABASE instead.\n").utf8
                    )
                )
            }
            return try HubDatabase(parsing: text).withPassword(fromFile: databasePasswordFile, environment: environment)
        }
        guard databasePasswordFile == nil else {
            throw OutpostError(.invalidInput, "--database-password-file is for a PostgreSQL --database only.")
        }
        return .sqlite(path: homeFolder + "/hub.sqlite")
    }

    /// The hub's home folder, absolute: --home, else $OUTPOST_HUB_HOME, else ./.outpost-hub.
    var homeFolder: String {
        let chosen = home ?? ProcessInfo.processInfo.environment["OUTPOST_HUB_HOME"] ?? ".outpost-hub"
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    /// The SQLite database's path, for commands that work on the file itself; PostgreSQL is
    /// refused with where to look instead.
    func sqlitePath(for command: String) throws -> String {
        guard case .sqlite(let path) = try resolvedDatabase() else {
            throw OutpostError(
                .invalidInput,
                "`outpost \(command)` works on a SQLite hub; back up and restore a PostgreSQL hub with "
                    + "PostgreSQL's own tools (pg_dump, pg_restore; see docs/deploy.md)."
            )
        }
        return path
    }

    /// Runs `body` against the hub's database, migrated. A SQLite hub's file is made only when
    /// `creating` (adding a tenant, restoring): any other command on a folder without a hub is
    /// a mistake (a wrong --home), and must not leave an empty hub behind.
    func withStorage<T: Sendable>(
        creating: Bool = false,
        _ body: @Sendable (any HubStorage) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "outpost.hub")
        logger.logLevel = .warning
        let database = try resolvedDatabase()
        if !creating, case .sqlite(let path) = database, !FileManager.default.fileExists(atPath: path) {
            throw OutpostError(
                .failedPrecondition,
                "No hub at \((path as NSString).deletingLastPathComponent): it has no hub.sqlite (is --home right?).",
                remedy: .createTenant(name: "NAME")
            )
        }
        return try await database.withStorage(logger: logger, body)
    }
}

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Add, list and remove tenants: isolated groups of nodes and their data.",
        subcommands: [Add.self, List.self, Change.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a tenant.",
            discussion: "Example:\n  outpost hub tenant add acme"
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The tenant's name: letters, digits, '-' and '_'.") var name: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let name = self.name
            let tenant = try await hub.withStorage(creating: true) { try await $0.addTenant(name: name) }
            if output.json { Output.json(tenant) } else { print("Added tenant \(tenant.name) (\(tenant.id))") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List tenants.",
            discussion: "Example:\n  outpost hub tenant list --json"
        )
        @OptionGroup var hub: HubOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tenants = try await hub.withStorage { try await $0.tenants() }
            if output.json {
                Output.json(tenants)
            } else {
                Output.table(
                    headers: ["NAME", "ID", "CREATED", "CLIENT CERT"],
                    rows: tenants.map {
                        [$0.name, $0.id, $0.createdAt, $0.requiresClientCertificate ? "required" : "-"]
                    }
                )
            }
        }
    }
}

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Register nodes with the hub, list them, set their attributes, rotate and revoke their tokens.",
        subcommands: [Add.self, List.self, Change.self, RotateToken.self, SetCertificate.self, Revoke.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Register a node and print its token (shown once; the hub keeps only a hash).",
            discussion: """
                Example:
                  outpost hub node add --tenant acme --name line-1
                  outpost hub node add --tenant acme --json | jq -r .token
                  outpost hub node add --tenant acme --name line-1 --client-cert line-1.pem
                  outpost hub node add --tenant acme --name shop-7 --attr site=berlin
                  outpost hub node add --tenant acme --name site-1 --relay --json
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "The tenant the node belongs to.") var tenant: String
        @Option(help: "A label for people.") var name = "node"
        @Option(
            name: .customLong("attr"),
            help: "An attribute NAME=VALUE the tenant's scopes match rows against (repeat for more)."
        )
        var attributes: [String] = []
        @Option(
            name: .customLong("client-cert"),
            help: "Bind the node's token to this PEM client certificate: only a connection presenting it may use it.",
            completion: .file()
        )
        var clientCertificate: String?
        @Flag(
            help: """
                The node is a site hub (`hub serve --upstream`): it may push changes on behalf of the \
                nodes behind it, keeping each change's writer (docs/clusters.md).
                """
        )
        var relay = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let token = NodeToken.generate()
            let relay = self.relay
            let (tenant, name) = (self.tenant, self.name)
            let fingerprint = try clientCertificate.map { path throws(OutpostError) in
                try ServerTLS.fingerprint(ofFile: path)
            }
            let attributes = try NodeAttributes(settings: self.attributes)
            let node = try await hub.withStorage { storage in
                var added = try await storage.addNode(tenant: tenant, name: name, tokenHash: NodeToken.hash(token))
                if !attributes.values.isEmpty {
                    added = try await storage.setAttributes(nodeID: added.id, attributes: attributes)
                }
                if relay { added = try await storage.setRelays(nodeID: added.id, relays: true) }
                guard let fingerprint else { return added }
                return try await storage.setClientCertificate(nodeID: added.id, fingerprint: fingerprint)
            }
            if output.json {
                Output.json(
                    ["id": .string(node.id), "tenant": .string(node.tenant), "token": .string(token)] as JSONValue
                )
            } else {
                print("Added node \(node.id) to tenant \(node.tenant)")
                print("token: \(token)")
                print(
                    "Store it now: it is not shown again. On the node: save it in a file only you can read (chmod 600) and run outpost remote set URL --token-file FILE"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List nodes: how far behind each is, when it was last seen, whether it is past the lease.",
            discussion: """
                LAG is how many changes the node has not confirmed yet (the tenant's newest \
                sequence number minus the node's cursor). A node not seen for longer than the \
                lease (--lease-days, as given to `hub serve` and `hub gc`) is marked "past lease": \
                the hub may have collected deletions it has not seen, and it will re-sync in full \
                when it returns.

                Examples:
                  outpost hub node list --tenant acme
                  outpost hub node list --lease-days 7 --json
                """
        )
        @OptionGroup var hub: HubOptions
        @Option(help: "Only nodes of this tenant.") var tenant: String?
        @Option(help: "Days a node may stay offline before it must resync.") var leaseDays = 30
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...HubCommand.maximumLeaseDays).contains(leaseDays) else {
                throw ValidationError("--lease-days must be from 1 to \(HubCommand.maximumLeaseDays).")
            }
        }

        /// Whether the node was last seen (or, never seen, registered) longer ago than the lease.
        func run() async throws {
            let tenant = self.tenant
            let nodes = try await hub.withStorage { try await $0.nodes(tenant: tenant) }
            let now = Date()
            if output.json {
                Output.json(
                    JSONValue.array(
                        try nodes.map { node in
                            let encoded = String(decoding: try JSONEncoder().encode(node), as: UTF8.self)
                            guard case .object(var members) = try JSONValue(parsing: encoded) else { return .null }
                            members["past_lease"] = .bool(node.isPastLease(.seconds(leaseDays * 86_400), now: now))
                            return .object(members)
                        }
                    )
                )
                return
            }
            Output.table(
                headers: ["ID", "TENANT", "NAME", "CURSOR", "LAG", "LAST SEEN", "STATE", "CERT", "ATTRIBUTES"],
                rows: nodes.map {
                    [
                        $0.id, $0.tenant, $0.name, "\($0.cursor)", "\($0.lag)", $0.lastSeenAt ?? "never",
                        $0.revokedAt.map { "revoked \($0)" }
                            ?? ($0.isPastLease(.seconds(leaseDays * 86_400), now: now) ? "past lease" : "ok"),
                        $0.clientCertificate.map { "sha256:" + $0.prefix(12) + "…" } ?? "-",
                        $0.attributes.isEmpty ? "-" : NodeAttributes($0.attributes).settings.joined(separator: " "),
                    ]
                }
            )
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke a node's token; it stops working at once, even on a running hub.",
            discussion: "Example:\n  outpost hub node revoke 0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f"
        )
        @OptionGroup var hub: HubOptions
        @Argument(help: "The node's id.") var id: String

        func run() async throws {
            let id = self.id
            try await hub.withStorage { try await $0.revokeNode(id: id) }
            print("Revoked node \(id)")
        }
    }
}
