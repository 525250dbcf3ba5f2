public import OutpostCore

/// Why a talk with the hub failed, sorted by what the engine does about it.
///
/// Only ``Code/refused`` blames the changes sent; every other kind leaves the queue as it was,
/// to be sent again. Codes are an open set (new ones can be added without breaking callers);
/// the hub's own error code, the HTTP status and the store error behind a failure travel with it.
public struct SyncFailure: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is: the engine, the daemon and the CLI decide by it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        private init(_ name: String) { self.name = name }

        /// No answer: connection refused or reset, timed out. Nothing was judged; retry later.
        public static let unreachable = Code("unreachable")
        /// 429: the hub asks the node to wait ``SyncFailure/retryAfter`` seconds.
        public static let rateLimited = Code("rate_limited")
        /// 5xx: the hub failed and applied nothing; retry with backoff.
        public static let hubFailed = Code("hub_failed")
        /// 401/403: the token is missing, unknown or revoked; retrying will not help.
        public static let unauthorized = Code("unauthorized")
        /// 410 `resync_required`: the hub no longer holds every change after the node's cursor.
        public static let resyncRequired = Code("resync_required")
        /// Another 4xx: the hub refused the request as it is; sending it unchanged will not help.
        public static let refused = Code("refused")
        /// The answer could not be read.
        public static let badAnswer = Code("bad_answer")
        /// The hub and the node speak protocol versions neither serves (``ProtocolVersion``):
        /// one must be upgraded; nothing was sent or taken.
        public static let incompatible = Code("incompatible")
        /// The node's own store failed (a full disk, a read-only file); ``SyncFailure/cause`` says how.
        public static let store = Code("store")

        public var description: String { name }
    }

    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The HTTP status, when the hub answered.
    public var status: Int?
    /// The hub's error code (`batch_too_large`), when it sent one.
    public var hubCode: String?
    /// Seconds the hub asks the node to wait (429).
    public var retryAfter: Double?
    /// The store error behind a ``Code/store`` failure, with its own code (`storage`, …).
    public var cause: OutpostError?

    public init(
        _ code: Code,
        _ message: String,
        status: Int? = nil,
        hubCode: String? = nil,
        retryAfter: Double? = nil,
        cause: OutpostError? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.hubCode = hubCode
        self.retryAfter = retryAfter
        self.cause = cause
    }

    public static func unreachable(_ reason: String) -> SyncFailure { SyncFailure(.unreachable, reason) }

    public static func rateLimited(retryAfter seconds: Double, message: String) -> SyncFailure {
        SyncFailure(.rateLimited, message, status: 429, retryAfter: seconds)
    }

    public static func hubFailed(status: Int, code: String, message: String) -> SyncFailure {
        SyncFailure(.hubFailed, message, status: status, hubCode: code)
    }

    public static func unauthorized(code: String, message: String) -> SyncFailure {
        SyncFailure(.unauthorized, message, status: 401, hubCode: code)
    }

    public static var resyncRequired: SyncFailure {
        SyncFailure(.resyncRequired, "resync required", status: 410, hubCode: "resync_required")
    }

    public static func refused(status: Int, code: String, message: String) -> SyncFailure {
        SyncFailure(.refused, message, status: status, hubCode: code)
    }

    public static func badAnswer(_ reason: String) -> SyncFailure { SyncFailure(.badAnswer, reason) }

    public static func incompatible(_ reason: String) -> SyncFailure { SyncFailure(.incompatible, reason) }

    /// The node's store failed with `error`, which is kept as the cause.
    public static func store(_ error: OutpostError) -> SyncFailure {
        SyncFailure(.store, error.message, cause: error)
    }

    public var description: String {
        let hub = [status.map(String.init), hubCode].compactMap { $0 }.joined(separator: " ")
        switch code {
        case .unreachable:
            return "The hub could not be reached (\(message)). Nothing was lost: changes stay queued until it answers."
        case .rateLimited:
            return "The hub is rate-limiting this node (\(message)); it asks to wait \(retryAfter ?? 1) s."
        case .hubFailed:
            return "The hub failed (\(hub): \(message)); nothing was applied, and it will be retried."
        case .unauthorized:
            return "The hub refused this node's token (\(hubCode ?? "unauthorized"): \(message))."
        case .resyncRequired:
            return "The hub no longer holds every change since this node's last pull; a full re-sync is needed."
        case .refused:
            return "The hub refused the request (\(hub): \(message))."
        case .badAnswer:
            return "The hub's answer could not be read (\(message)). Is the remote URL an Outpost hub?"
        case .incompatible:
            return "The hub and this node cannot talk: \(message) Nothing was lost: changes stay queued."
        default:
            return message
        }
    }
}
