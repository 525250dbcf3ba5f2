public import OutpostCore

/// What a run does when a step has failed every try (`"on_failure"`): stop the run as failed
/// (the default), continue with the next step, or run a compensating step (one of the
/// definition's `compensations`) and then stop as failed.
public enum FailurePolicy: Sendable, Equatable {
    case stop
    case `continue`
    case compensate(stepID: String)

    static func parse(_ value: JSONValue?, field: String) throws(OutpostError) -> FailurePolicy {
        switch value {
        case nil, .string("stop")?: return .stop
        case .string("continue")?: return .continue
        case .object(let members)? where members.count == 1:
            if case .string(let step)? = members["run"] { return .compensate(stepID: step) }
        default: break
        }
        throw WorkflowDefinition.invalid(
            field,
            "must be \"stop\", \"continue\" or {\"run\": \"ID\"} naming a step of compensations"
        )
    }
}
