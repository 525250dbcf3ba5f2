public import Foundation
public import OutpostCore

/// When `outpost run` starts a workflow by itself (`"schedule"`): every interval
/// (`{"every": "5m"}`), or at the minutes a cron expression names (`{"cron": "0 6 * * 1-5"}`,
/// UTC). The first run is one interval, or the next matching minute, after the runner starts;
/// runs missed while the node was off are not made up.
public enum Schedule: Sendable, Equatable {
    case every(Duration)
    case cron(CronExpression)

    /// The next time it fires after `date`.
    public func next(after date: Date) -> Date? {
        switch self {
        case .every(let interval):
            date.addingTimeInterval(Double(interval.milliseconds) / 1000)
        case .cron(let expression):
            expression.next(after: date)
        }
    }

    static func parse(_ value: JSONValue, field: String) throws(OutpostError) -> Schedule {
        guard case .object(let members) = value, members.count == 1 else {
            throw WorkflowDefinition.invalid(field, "must be {\"every\": \"5m\"} or {\"cron\": \"*/5 * * * *\"}")
        }
        if let every = members["every"] {
            let interval = try DurationText.parse(every, field: "\(field).every")
            guard interval >= .seconds(1) else {
                throw WorkflowDefinition.invalid("\(field).every", "must be at least one second")
            }
            return .every(interval)
        }
        if case .string(let text)? = members["cron"] {
            return .cron(try CronExpression(parsing: text, field: "\(field).cron"))
        }
        throw WorkflowDefinition.invalid(field, "must be {\"every\": \"5m\"} or {\"cron\": \"*/5 * * * *\"}")
    }
}
