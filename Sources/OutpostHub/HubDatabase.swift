import Foundation
import GRDB
package import Logging
public import OutpostCore
import PostgresNIO
package import ServiceLifecycle

/// Where the hub's data lives, as given to `--database`: `sqlite:PATH` or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require][&prepared_statements=on|off]`.
///
/// `prepared_statements=off` is for a pooler that does not keep a connection's prepared
/// statements (PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`):
/// the hub then sends its per-request statements unprepared, parsed and planned every time.
public enum HubDatabase: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(
        host: String,
        port: Int,
        user: String,
        password: String?,
        database: String,
        tls: TLSMode,
        preparedStatements: Bool
    )

    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    /// Parses a `--database` value.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` naming what is wrong with the text.
    public init(parsing text: String) throws(OutpostError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw OutpostError(
                    .invalidInput,
                    "--database sqlite: needs a file path, e.g. sqlite:/var/lib/outpost/hub.sqlite."
                )
            }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text), let host = components.host, !host.isEmpty,
            let user = components.user, !user.isEmpty
        else {
            throw OutpostError(
                .invalidInput,
                "--database must be sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; got '\(Self.redacted(text))'."
            )
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw OutpostError(.invalidInput, "--database names no database: add /DATABASE after the host.")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard let tls = TLSMode(rawValue: mode) else {
            throw OutpostError(.invalidInput, "sslmode '\(mode)' is not supported; use disable, prefer or require.")
        }
        let prepared = components.queryItems?.first { $0.name == "prepared_statements" }?.value ?? "on"
        guard prepared == "on" || prepared == "off" else {
            throw OutpostError(
                .invalidInput,
                "prepared_statements '\(prepared)' is not supported; use on (the default) or off (behind a pooler "
                    + "in transaction mode that does not keep prepared statements)."
            )
        }
        self = .postgres(
            host: host,
            port: components.port ?? 5432,
            user: user,
            password: components.password,
            database: database,
            tls: tls,
            preparedStatements: prepared == "on"
        )
    }

    /// The database with its PostgreSQL password from `passwordFile` (see ``SecretFile``) or, when
    /// the URL carries none, `$PGPASSWORD` (libpq's variable): a password in `--database` shows
    /// in `ps` to every local user.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` for a password file given with SQLite or beside
    ///   a password in the URL, or one ``SecretFile`` refuses.
    public func withPassword(fromFile passwordFile: String?, environment: [String: String]) throws(OutpostError)
        -> HubDatabase
    {
        guard case .postgres(let host, let port, let user, let password, let database, let tls, let prepared) = self
        else {
            guard passwordFile == nil else {
                throw OutpostError(.invalidInput, "--database-password-file is for a PostgreSQL --database only.")
            }
            return self
        }
        var chosen = password
        if let passwordFile {
            guard password == nil else {
                throw OutpostError(
                    .invalidInput,
                    "The password is given twice, in --database and in --database-password-file; keep only the file."
                )
            }
            chosen = try SecretFile.read(passwordFile, what: "password file")
        } else if password == nil, let variable = environment["PGPASSWORD"], !variable.isEmpty {
            chosen = variable
        }
        return .postgres(
            host: host,
            port: port,
            user: user,
            password: chosen,
            database: database,
            tls: tls,
            preparedStatements: prepared
        )
    }

    /// Whether the URL itself carried a password (which `ps` shows).
    public static func hasInlinePassword(_ text: String) -> Bool {
        URLComponents(string: text)?.password.map { !$0.isEmpty } ?? false
    }

    /// The text with any password hidden, safe to print and log.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let host, let port, let user, _, let database, _, _):
            "postgres://\(user)@\(host):\(port)/\(database)"
        }
    }

    private static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "***"
    }

    /// Opens the storage and the services it needs running (the PostgreSQL client and its
    /// statistics refresher).
    ///
    /// - Parameter maximumConnections: the PostgreSQL client's pool size.
    package func open(
        logger: Logger,
        maximumConnections: Int = 20
    ) throws -> (storage: any HubStorage, services: [any Service]) {
        switch self {
        case .sqlite(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return (try SQLiteHubStorage(path: path), [])
        case .postgres(let host, let port, let user, let password, let database, let tls, let prepared):
            let tlsConfiguration: PostgresClient.Configuration.TLS =
                switch tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            var configuration = PostgresClient.Configuration(
                host: host,
                port: port,
                username: user,
                password: password,
                database: database,
                tls: tlsConfiguration
            )
            configuration.options.maximumConnections = maximumConnections
            // The pool logs a warning when a query races its start-up; only errors are worth showing.
            var background = logger
            background.logLevel = max(logger.logLevel, .error)
            let client = PostgresClient(configuration: configuration, backgroundLogger: background)
            let storage = PostgresHubStorage(client: client, logger: logger, preparesStatements: prepared)
            return (storage, [client, storage.statisticsRefresher])
        }
    }

    /// Runs `body` with the storage open and migrated, its services running, then stops them.
    ///
    /// - Parameter pingLimit: how long PostgreSQL has to answer first (a command fails fast;
    ///   test suites on a loaded machine give it longer).
    package func withStorage<T: Sendable>(
        logger: Logger,
        pingLimit: Duration = .seconds(10),
        _ body: @Sendable (any HubStorage) async throws -> T
    ) async throws -> T {
        let (storage, services) = try open(logger: logger)
        do {
            return try await withThrowingTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try await service.run() } }
                defer { group.cancelAll() }
                try await Self.ping(storage, within: pingLimit)
                try await storage.migrate()
                return try await body(storage)
            }
        } catch let error as OutpostError {
            throw error
        } catch {
            throw OutpostError(.storage, "The hub database \(self) failed: \(Self.reason(error)).")
        }
    }

    /// Fails fast when the database does not answer: the PostgreSQL pool would otherwise keep
    /// retrying its connection for a minute.
    package static func ping(_ storage: any HubStorage, within limit: Duration) async throws {
        guard storage.pingsOverNetwork else { return try await storage.ping() }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await storage.ping()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else {
                throw OutpostError(
                    .storage,
                    "The hub database did not answer within \(limit.components.seconds) s: cannot connect to the "
                        + "server (is it running, is the address right, does it accept this user?)."
                )
            }
        }
    }

    /// A short, secret-free reason for a database failure: the server's message when it sent
    /// one, else the kind of failure.
    package static func reason(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            return reason(error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        let text = String(reflecting: error)
        if text.contains("connectionCreation") || text.contains("ConnectionPoolError") || text.contains("refused") {
            return "cannot connect to the server (is it running, is the address right, does it accept this user?)"
        }
        return text
    }
}
