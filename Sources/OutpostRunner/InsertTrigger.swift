public import OutpostCore

/// Starts a run for each row inserted into a table (`"on_insert"`), optionally only rows whose
/// column passes a test: `{"table": "readings", "when": {"column": "value", "above": 30}}`.
/// The run's input is `{"table": …, "row": {…}}`. Rows are found by rowid, so the table must
/// have one (not `WITHOUT ROWID`); rows arriving from the hub count as inserted too.
public struct InsertTrigger: Sendable, Equatable {
    public var table: String
    public var condition: Condition?

    /// A test of one column: equal to, above, or below a value.
    public struct Condition: Sendable, Equatable {
        public enum Test: String, Sendable, CaseIterable {
            case equals, above, below
        }

        public var column: String
        public var test: Test
        public var value: JSONValue

        /// Whether `row` passes: numbers compare as numbers, text as text; a missing or null
        /// column never passes.
        public func matches(_ row: [String: JSONValue]) -> Bool {
            guard let actual = row[column], actual != .null else { return false }
            switch test {
            case .equals:
                if let left = Self.number(actual), let right = Self.number(value) { return left == right }
                return actual == value
            case .above, .below:
                let order: Bool?
                if let left = Self.number(actual), let right = Self.number(value) {
                    order = left > right ? true : (left < right ? false : nil)
                } else if let left = actual.stringValue, let right = value.stringValue {
                    order = left > right ? true : (left < right ? false : nil)
                } else {
                    return false
                }
                return test == .above ? order == true : order == false
            }
        }

        private static func number(_ value: JSONValue) -> Double? {
            switch value {
            case .integer(let integer): Double(integer)
            case .double(let double): double
            default: nil
            }
        }
    }

    static func parse(_ value: JSONValue, field: String) throws(OutpostError) -> InsertTrigger {
        guard case .object(let members) = value, case .string(let table)? = members["table"], !table.isEmpty else {
            throw WorkflowDefinition.invalid(field, "must name a table: {\"table\": \"readings\"}")
        }
        if let unknown = members.keys.sorted().first(where: { !["table", "when"].contains($0) }) {
            throw WorkflowDefinition.invalid("\(field).\(unknown)", "unknown field; on_insert has table and when")
        }
        guard let when = members["when"] else { return InsertTrigger(table: table, condition: nil) }
        let tests = InsertTrigger.Condition.Test.allCases.map(\.rawValue)
        guard case .object(let condition) = when, case .string(let column)? = condition["column"], condition.count == 2,
            let testName = condition.keys.first(where: { $0 != "column" }),
            let test = Condition.Test(rawValue: testName), let operand = condition[testName]
        else {
            throw WorkflowDefinition.invalid(
                "\(field).when",
                "must be {\"column\": NAME, TEST: VALUE} with TEST one of \(tests.joined(separator: ", "))"
            )
        }
        return InsertTrigger(table: table, condition: Condition(column: column, test: test, value: operand))
    }
}
