import OutpostCore

/// One step's result in a run's `step_results`.
struct StepOutcome: Sendable {
    enum Status: String, Sendable {
        case completed, failed
    }

    var id: String
    var type: String
    var status: Status = .failed
    var attempts = 0
    var startedAt: String
    var durationMilliseconds: Int64 = 0
    var output: JSONValue?
    var error: String?

    init(id: String, type: String, startedAt: String) {
        self.id = id
        self.type = type
        self.startedAt = startedAt
    }

    mutating func fail(_ reason: String, output: JSONValue? = nil, after started: ContinuousClock.Instant) {
        status = .failed
        error = reason
        if let output { self.output = output }
        durationMilliseconds = (ContinuousClock.now - started).milliseconds
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id), "type": .string(type), "status": .string(status.rawValue),
            "attempts": .integer(Int64(attempts)), "started_at": .string(startedAt),
            "duration_ms": .integer(durationMilliseconds),
        ]
        if let output { members["output"] = output }
        if let error { members["error"] = .string(error) }
        return .object(members)
    }
}
