/// Why a talk with the hub failed, sorted by what the engine does about it.
///
/// Only ``refused(status:code:message:)`` blames the changes sent; every other case leaves the
/// queue as it was, to be sent again.
public enum SyncFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer: connection refused or reset, timed out. Nothing was judged; retry later.
    case unreachable(String)
    /// 429: the hub asks the node to wait this many seconds.
    case rateLimited(retryAfter: Double, message: String)
    /// 5xx: the hub failed and applied nothing; retry with backoff.
    case hubFailed(status: Int, code: String, message: String)
    /// 401: the token is missing, unknown or revoked; retrying will not help.
    case unauthorized(code: String, message: String)
    /// 410 `resync_required`: the hub no longer holds every change after the node's cursor.
    case resyncRequired
    /// Another 4xx: the hub refused the request as it is; sending it unchanged will not help.
    case refused(status: Int, code: String, message: String)
    /// The answer could not be read.
    case badAnswer(String)
    /// The node's own store failed (a full disk, a read-only file); the message says which.
    case store(String)

    public var description: String {
        switch self {
        case .unreachable(let reason):
            "The hub could not be reached (\(reason)). Nothing was lost: changes stay queued until it answers."
        case .rateLimited(let seconds, let message):
            "The hub is rate-limiting this node (\(message)); it asks to wait \(seconds) s."
        case .hubFailed(let status, let code, let message):
            "The hub failed (\(status) \(code): \(message)); nothing was applied, and it will be retried."
        case .unauthorized(let code, let message):
            "The hub refused this node's token (\(code): \(message)). Get a new one with "
                + "`outpost hub node add` and set it with `outpost remote set URL --token-file FILE`."
        case .resyncRequired:
            "The hub no longer holds every change since this node's last pull; a full re-sync is needed."
        case .refused(let status, let code, let message):
            "The hub refused the request (\(status) \(code): \(message))."
        case .badAnswer(let reason):
            "The hub's answer could not be read (\(reason)). Is the remote URL an Outpost hub?"
        case .store(let message):
            message
        }
    }
}
