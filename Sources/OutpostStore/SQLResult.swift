public import OutpostCore

/// What ``Store/execute(sql:)`` returns: the rows of the last statement that returned rows,
/// and how many rows the statements changed.
public struct SQLResult: Sendable, Equatable {
    /// Column names of ``rows``, in order.
    public var columns: [String]
    /// Each row's values, in ``columns`` order.
    public var rows: [[JSONValue]]
    /// Rows inserted, updated or deleted by all statements together.
    public var changedRows: Int
    /// Whether any statement returned rows (a `SELECT` with no match still counts).
    public var returnedRows: Bool
    /// Whether any statement inserted, updated or deleted (as opposed to only DDL or pragmas).
    public var changedData: Bool = false
}
