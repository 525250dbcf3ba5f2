/// Placeholder lists for statements that carry many rows at once: a hundred rows a statement
/// instead of one statement a row, where per-statement work was what a bulk write cost.
package enum SQLList {
    /// Rows a multi-row statement carries at most (far below SQLite's 32,766 values).
    package static let rowsPerStatement = 100

    /// The values one statement may bind: SQLite's `SQLITE_MAX_VARIABLE_NUMBER` (its default since
    /// 3.32).
    package static let maximumValues = 32_766

    /// Rows of `width` values each that one statement may carry: ``rowsPerStatement``, fewer for
    /// a row so wide that a hundred would bind more than ``maximumValues`` (at least one, with
    /// `spare` values left for the statement's own).
    package static func rowsPerStatement(width: Int, spare: Int = 0) -> Int {
        max(1, min(rowsPerStatement, (maximumValues - spare) / max(1, width)))
    }

    /// `items` in runs of at most ``rowsPerStatement``, a statement's worth each.
    package static func parts<Items: RandomAccessCollection>(_ items: Items) -> [Items.SubSequence]
    where Items.Index == Int {
        stride(from: items.startIndex, to: items.endIndex, by: rowsPerStatement).map { start in
            items[start..<min(start + rowsPerStatement, items.endIndex)]
        }
    }

    /// `?, ?, …`: `count` placeholders, for an `IN (…)` list.
    package static func placeholders(_ count: Int) -> String {
        repeatElement("?", count: count).joined(separator: ", ")
    }

    /// `(?, …), (?, …)`: `count` rows of `width` placeholders, for a `VALUES` list.
    package static func rows(_ count: Int, width: Int) -> String {
        repeatElement("(" + placeholders(width) + ")", count: count).joined(separator: ", ")
    }
}
