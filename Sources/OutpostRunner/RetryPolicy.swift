public import OutpostCore

/// How often a failed step is tried again, and how long to wait between tries: the wait
/// starts at `backoff` and doubles after each try, up to `maximumBackoff`.
///
/// Spelled `"retries": 3` (three more tries, one second apart at first) or
/// `"retries": {"attempts": 3, "backoff": "2s", "max_backoff": "1m"}`.
public struct RetryPolicy: Sendable, Equatable {
    /// Tries after the first; 0 (the default) tries once.
    public var retries: Int
    public var backoff: Duration
    public var maximumBackoff: Duration

    public static let none = RetryPolicy(retries: 0, backoff: .seconds(1), maximumBackoff: .seconds(300))

    public init(retries: Int, backoff: Duration, maximumBackoff: Duration) {
        self.retries = retries
        self.backoff = backoff
        self.maximumBackoff = maximumBackoff
    }

    /// The wait before try number `attempt` (2 for the first retry).
    public func delay(beforeAttempt attempt: Int) -> Duration {
        var wait = backoff
        for _ in 0..<max(0, attempt - 2) {
            wait = min(maximumBackoff, wait * 2)
        }
        return min(maximumBackoff, wait)
    }

    static func parse(_ value: JSONValue?, field: String) throws(OutpostError) -> RetryPolicy {
        guard let value else { return .none }
        var policy = RetryPolicy.none
        switch value {
        case .integer(let count):
            policy.retries = try checkedCount(count, field: field)
        case .object(let members):
            let known: Set = ["attempts", "backoff", "max_backoff"]
            if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
                throw WorkflowDefinition.invalid(
                    "\(field).\(unknown)",
                    "unknown setting; a retry policy has attempts, backoff and max_backoff"
                )
            }
            if let attempts = members["attempts"] {
                guard case .integer(let count) = attempts else {
                    throw WorkflowDefinition.invalid("\(field).attempts", "must be a whole number of retries")
                }
                policy.retries = try checkedCount(count, field: "\(field).attempts")
            }
            if let backoff = members["backoff"] {
                policy.backoff = try DurationText.parse(backoff, field: "\(field).backoff")
            }
            if let maximum = members["max_backoff"] {
                policy.maximumBackoff = try DurationText.parse(maximum, field: "\(field).max_backoff")
            }
        default:
            throw WorkflowDefinition.invalid(
                field,
                "must be a number of retries or an object with attempts and backoff"
            )
        }
        return policy
    }

    private static func checkedCount(_ count: Int64, field: String) throws(OutpostError) -> Int {
        guard (0...100).contains(count) else {
            throw WorkflowDefinition.invalid(field, "must be between 0 and 100 retries, not \(count)")
        }
        return Int(count)
    }
}
