/// The body of every 4xx and 5xx answer: `{"error": {"code": "…", "message": "…"}}`.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        /// Stable, for programs: `invalid_json`, `unknown_table`, `resync_required`, …
        public var code: String
        /// For people: what failed, why, and what to do.
        public var message: String
    }

    public var error: Body

    public init(code: String, message: String) {
        error = Body(code: code, message: message)
    }
}

/// `GET /health`.
public struct HealthResponse: Codable, Sendable, Equatable {
    public var status: String
    public var database: String
    public var version: String

    public init(status: String, database: String, version: String) {
        self.status = status
        self.database = database
        self.version = version
    }
}

/// The protocol's error codes that a node acts on.
public enum ProtocolErrorCode {
    /// The node's cursor is older than what the hub still holds: re-fetch everything.
    public static let resyncRequired = "resync_required"
    /// The node's protocol version is outside what the hub serves (``ProtocolVersion``).
    public static let unsupportedProtocol = "unsupported_protocol"
    /// A pushed `files` row names chunks the hub does not hold (it never had them, lost them to
    /// a restore, or collected them): upload them, then push the row again.
    public static let missingChunks = "missing_chunks"
    /// A change is based on a version newer than the hub's: the hub went back (restored).
    public static let futureBaseVersion = "future_base_version"
    /// A push names the writer of a change (`origin`) from a credential that is not a relay.
    public static let originNotAllowed = "origin_not_allowed"
    /// A pushed change the node's scope does not allow (a read-only table, a row it cannot see,
    /// a new row outside its scope): the node parks it as failed; the rest of its batch lands.
    public static let outOfScope = "out_of_scope"
}
