public import OutpostCore

/// What a workflow does (`workflows.definition`): an ordered list of steps, optional
/// compensating steps, and the run's output.
///
/// ```json
/// {"steps": [{"id": "greet", "type": "command", "argv": ["/bin/echo", "hello"], "timeout": "10s"}]}
/// ```
///
/// Values pass between steps by reference, as plain text substitution (see ``Template``):
/// `${input.x}` is the run's input, `${steps.ID.output.field}` an earlier step's output. The
/// run's output is `output` with its references filled in, or the last step's output. The
/// whole format is in `docs/runner.md`, with a JSON Schema in `docs/workflow-definition.schema.json`.
public struct WorkflowDefinition: Sendable, Equatable {
    public var steps: [StepDefinition]
    /// Steps that run only when a failed step's `on_failure` names them.
    public var compensations: [StepDefinition]
    /// The run's output, with references; `nil` means the last step's output.
    public var output: JSONValue?
    /// When `outpost run` starts it by itself, if ever.
    public var schedule: Schedule?
    /// The table whose inserted rows start a run each, if any.
    public var onInsert: InsertTrigger?

    /// The most steps a definition may have (each is a row update while it runs).
    public static let maximumSteps = 200

    /// Reads and checks a definition; every error names the field (`steps[1].timeout`).
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` with the field in `details["field"]`.
    public init(parsing value: JSONValue, executors: StepExecutors = .builtIn) throws(OutpostError) {
        guard case .object(let members) = value else {
            throw Self.invalid("definition", "must be a JSON object with a \"steps\" array")
        }
        let known: Set = ["steps", "compensations", "output", "description", "schedule", "on_insert"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw Self.invalid(
                unknown,
                "unknown field; a definition has steps, compensations, output, schedule, on_insert and description"
            )
        }
        guard case .array(let stepValues)? = members["steps"], !stepValues.isEmpty else {
            throw Self.invalid("steps", "must be a non-empty array of steps")
        }
        guard stepValues.count <= Self.maximumSteps else {
            throw Self.invalid("steps", "has \(stepValues.count) steps; at most \(Self.maximumSteps) are allowed")
        }
        var steps: [StepDefinition] = []
        for (index, step) in stepValues.enumerated() {
            steps.append(try StepDefinition(parsing: step, field: "steps[\(index)]", executors: executors))
        }
        var compensations: [StepDefinition] = []
        switch members["compensations"] {
        case nil: break
        case .array(let values)?:
            for (index, step) in values.enumerated() {
                compensations.append(
                    try StepDefinition(parsing: step, field: "compensations[\(index)]", executors: executors)
                )
            }
        default:
            throw Self.invalid("compensations", "must be an array of steps")
        }
        var seen: Set<String> = []
        for (index, step) in (steps + compensations).enumerated() where !seen.insert(step.id).inserted {
            let field = index < steps.count ? "steps[\(index)].id" : "compensations[\(index - steps.count)].id"
            throw Self.invalid(field, "'\(step.id)' is the id of an earlier step; ids must be unique")
        }
        for (index, step) in steps.enumerated() {
            if case .compensate(let target) = step.onFailure, !compensations.contains(where: { $0.id == target }) {
                throw Self.invalid(
                    "steps[\(index)].on_failure",
                    "names '\(target)', which is not a step of compensations"
                )
            }
            for reference in Template.stepReferences(in: .object(step.fields)) {
                guard steps[..<index].contains(where: { $0.id == reference }) else {
                    throw Self.invalid(
                        "steps[\(index)]",
                        "refers to steps.\(reference), which is not an earlier step; a step can use only the outputs of steps before it"
                    )
                }
            }
        }
        self.steps = steps
        self.compensations = compensations
        self.output = members["output"]
        schedule = try members["schedule"].map { value throws(OutpostError) in
            try Schedule.parse(value, field: "schedule")
        }
        onInsert = try members["on_insert"].map { value throws(OutpostError) in
            try InsertTrigger.parse(value, field: "on_insert")
        }
    }

    /// Reads a definition from JSON text; a syntax error gives its line and column.
    public init(parsing text: String, executors: StepExecutors = .builtIn) throws(OutpostError) {
        try self.init(parsing: try JSONValue(parsing: text), executors: executors)
    }

    static func invalid(_ field: String, _ reason: String) -> OutpostError {
        OutpostError(
            .invalidInput,
            "The workflow definition is not valid: \(field): \(reason).",
            details: ["field": field]
        )
    }
}
