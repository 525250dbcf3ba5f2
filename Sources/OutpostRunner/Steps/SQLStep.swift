public import OutpostCore
import OutpostStore

/// `sql`: one parameterised statement on the node's store. Its writes are captured and sync
/// like any other write.
///
/// Fields: `sql` (one statement), `params` (an array for `?`, an object for `:name`; references
/// go here, never into the statement's text). Output: `rows` (objects by column name),
/// `columns`, `changed_rows`.
public struct SQLStep: StepExecutor {
    public let type = "sql"
    public let fields: Set<String> = ["sql", "params"]

    public init() {}

    public func validate(_ step: StepDefinition, field: String) throws(OutpostError) {
        let sql = try requireString(step, "sql", field: field)
        if !Template.pieces(of: sql).allSatisfy({ if case .text = $0 { true } else { false } }) {
            throw WorkflowDefinition.invalid(
                "\(field).sql",
                "references are not filled into SQL text (that would let a value rewrite the statement); "
                    + "write ? or :name and pass the value in params"
            )
        }
        switch step["params"] {
        case nil, .array?, .object?: break
        default:
            throw WorkflowDefinition.invalid("\(field).params", "must be an array (for ?) or an object (for :name)")
        }
    }

    public func run(_ fields: [String: JSONValue], context: StepContext) async throws -> JSONValue {
        guard let sql = fields["sql"]?.stringValue else { throw StepFailure("sql is missing") }
        let result = try await context.store.execute(statement: sql, arguments: fields["params"])
        let rows = result.rows.map { values in
            JSONValue.object(Dictionary(zip(result.columns, values), uniquingKeysWith: { first, _ in first }))
        }
        return [
            "columns": .array(result.columns.map { .string($0) }),
            "rows": .array(rows),
            "changed_rows": .integer(Int64(result.changedRows)),
        ]
    }
}
