public import OutpostCore

/// One step of a workflow definition: what runs (`type` and its own fields), how long it may
/// take, how often it is tried, what happens when it fails, and whether it may run again after
/// a crash.
///
/// ```json
/// {"id": "greet", "type": "command", "argv": ["/bin/echo", "hello"], "timeout": "10s",
///  "retries": 2, "on_failure": "continue", "repeatable": true}
/// ```
public struct StepDefinition: Sendable, Equatable {
    /// Unique in its definition; later steps refer to its output as `${steps.ID.output…}`.
    public var id: String
    /// Which executor runs it (`command`, `http`, `sql`, `file`, `model`, `workflow`, …).
    public var type: String
    /// The step's own fields (the whole step object), before references are filled in.
    public var fields: [String: JSONValue]
    /// How long one try may take; 60 seconds unless the step says otherwise.
    public var timeout: Duration
    public var retry: RetryPolicy
    public var onFailure: FailurePolicy
    /// Whether running it again is harmless, so a run a crash interrupted at this step may be
    /// retried. `false` unless the step says so.
    public var repeatable: Bool

    /// The fields every step may have; the rest belong to its type.
    static let commonFields: Set = ["id", "type", "timeout", "retries", "on_failure", "repeatable", "description"]
    static let defaultTimeout = Duration.seconds(60)

    init(parsing value: JSONValue, field: String, executors: StepExecutors) throws(OutpostError) {
        guard case .object(let members) = value else {
            throw WorkflowDefinition.invalid(field, "must be an object with an id and a type")
        }
        guard case .string(let id)? = members["id"], Self.isValidID(id) else {
            throw WorkflowDefinition.invalid(
                "\(field).id",
                "every step needs an id of letters, digits, '_' or '-' (at most 64), for example \"fetch\""
            )
        }
        guard case .string(let type)? = members["type"] else {
            throw WorkflowDefinition.invalid("\(field).type", "every step needs a type (\(executors.typeList))")
        }
        guard let executor = executors[type] else {
            throw WorkflowDefinition.invalid(
                "\(field).type",
                "unknown step type '\(type)'; known: \(executors.typeList)"
            )
        }
        self.id = id
        self.type = type
        self.fields = members
        timeout =
            try members["timeout"].map { value throws(OutpostError) in
                try DurationText.parse(value, field: "\(field).timeout")
            } ?? Self.defaultTimeout
        retry = try RetryPolicy.parse(members["retries"], field: "\(field).retries")
        onFailure = try FailurePolicy.parse(members["on_failure"], field: "\(field).on_failure")
        switch members["repeatable"] {
        case nil: repeatable = false
        case .bool(let flag)?: repeatable = flag
        default: throw WorkflowDefinition.invalid("\(field).repeatable", "must be true or false")
        }
        let own = Set(members.keys).subtracting(Self.commonFields)
        let allowed = executor.fields
        if let unknown = own.sorted().first(where: { !allowed.contains($0) }) {
            throw WorkflowDefinition.invalid(
                "\(field).\(unknown)",
                "a \(type) step has no such field; its fields: \(allowed.sorted().joined(separator: ", "))"
            )
        }
        try executor.validate(self, field: field)
    }

    /// A field of the step's own, or `nil`.
    public subscript(field: String) -> JSONValue? { fields[field] }

    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64
            && id.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
    }
}
