/// The step types a runner knows, by name.
public struct StepExecutors: Sendable {
    private var byType: [String: any StepExecutor]

    /// `executors` by their ``StepExecutor/type``; a later one with the same type wins.
    public init(_ executors: [any StepExecutor]) {
        byType = Dictionary(executors.map { ($0.type, $0) }, uniquingKeysWith: { _, later in later })
    }

    /// The built-in types.
    public static let builtIn = StepExecutors([
        CommandStep(), HTTPStep(), SQLStep(), FileStep(), ModelStep(), WorkflowStep(),
    ])

    /// These executors and `more` (which win on a shared type).
    public func adding(_ more: [any StepExecutor]) -> StepExecutors {
        StepExecutors(Array(byType.values) + more)
    }

    public subscript(type: String) -> (any StepExecutor)? { byType[type] }

    var typeList: String { byType.keys.sorted().joined(separator: ", ") }
}
