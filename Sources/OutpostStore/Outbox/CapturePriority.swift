package import OutpostCore

/// The push priority of a captured change, 1 (background) … 10 (critical): the one rule, which
/// the capture trigger's SQL (``sql(row:)``) and changes the engine queues itself
/// (``value(of:)``) both follow.
///
/// A row whose `status` is `critical` goes at 10 (the seed's rule), and so does a run that
/// failed or was interrupted (an `executions` row), so the hub hears of failures first; a
/// built-in table that keeps each row's own priority in a column (`files.priority`) uses it,
/// clamped to 1…10; every other row goes at its table's priority.
package struct CapturePriority: Sendable, Equatable {
    /// The priority of the seed's critical rows.
    package static let critical = 10
    /// A table's priority unless `outpost track --priority` names another.
    package static let `default` = 5
    /// The table's priority (`outpost track --priority`).
    package var tablePriority: Int
    /// The column holding each row's own priority, for tables that have one.
    package var priorityColumn: String?
    /// Whether the table has a `status` column, whose `critical` value raises the priority.
    package var hasStatus: Bool
    /// The `status` values that go at critical priority.
    package var criticalStatuses: [String]

    /// The rule for `schema` tracked at `priority`.
    package init(schema: TableSchema, priority: Int) {
        tablePriority = priority
        priorityColumn = Self.priorityColumns[schema.name]
        hasStatus = schema.columns.contains { $0.lowercased() == "status" }
        criticalStatuses = ["critical"] + (Self.failureStatuses[schema.name] ?? [])
    }

    /// Built-in tables whose rows report a failure in `status`, and the values that do.
    private static let failureStatuses = ["executions": ["failed", "interrupted"]]

    /// Built-in tables whose rows carry their own priority, and the column that holds it.
    private static let priorityColumns = [StoreSchema.fileIndexTable: "priority"]

    /// The priority of `row` (its columns as JSON; `nil` for a deleted row).
    package func value(of row: JSONValue?) -> Int {
        if hasStatus, let status = row?["status"]?.stringValue, criticalStatuses.contains(status) {
            return Self.critical
        }
        if let priorityColumn, case .integer(let own)? = row?[priorityColumn] {
            return Int(min(10, max(1, own)))
        }
        return tablePriority
    }

    /// The same rule as an SQL expression over the trigger's row (`NEW` or `OLD`).
    func sql(row: String) -> String {
        let own =
            priorityColumn.map { "max(1, min(10, coalesce(\(row).\(quoteIdentifier($0)), \(tablePriority))))" }
            ?? "\(tablePriority)"
        guard hasStatus else { return own }
        // Comparisons joined by OR, not `IN (…)`: inside a trigger SQLite builds a temporary
        // table for an `IN` list of three or more values on every row (BENCHMARKS.md, capture).
        let isCritical = criticalStatuses.map { "\(row).\"status\" = \(quoteLiteral($0))" }.joined(separator: " OR ")
        return "CASE WHEN \(isCritical) THEN \(Self.critical) ELSE \(own) END"
    }
}
