public import OutpostCore

/// Runs one type of step. Each built-in type (`command`, `http`, `sql`, `file`, `model`,
/// `workflow`) is one of these; an application adds its own by passing more to
/// ``StepExecutors``.
public protocol StepExecutor: Sendable {
    /// The `type` a step names to use this executor.
    var type: String { get }
    /// The step fields this type reads, besides the ones every step has.
    var fields: Set<String> { get }
    /// Whether ``run(_:context:)`` ends itself when ``StepContext/timeout`` passes (a
    /// process group killed, a request cut); otherwise the runner abandons the try at the
    /// timeout. `false` by default.
    var enforcesTimeout: Bool { get }
    /// Checks the step's own fields when a definition is read, before any run; errors name
    /// the field as `\(field).name`.
    func validate(_ step: StepDefinition, field: String) throws(OutpostError)
    /// Runs one try of the step, whose fields have their references filled in, and returns
    /// its output. Throwing fails the try; the runner applies the step's retry policy.
    func run(_ fields: [String: JSONValue], context: StepContext) async throws -> JSONValue
}

extension StepExecutor {
    public var enforcesTimeout: Bool { false }

    /// A required text field, or an error naming it.
    func requireString(_ step: StepDefinition, _ name: String, field: String) throws(OutpostError) -> String {
        guard case .string(let value)? = step[name] else {
            throw WorkflowDefinition.invalid("\(field).\(name)", "a \(type) step needs \(name) as text")
        }
        return value
    }
}
