public import GRDB

/// What a captured change did to its row (`sync_queue.operation`).
///
/// The operation is for people (`outpost queue list`, the seed's `pending_sync` view): what is
/// pushed is computed from the row itself at push time. Repeated changes of one row coalesce into
/// its single pending entry by ``then(_:)``, the one coalescing rule; the capture trigger's SQL is
/// generated from it (``coalescingSQL(earlier:later:)``).
public enum QueueOperation: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case insert = "INSERT"
    case update = "UPDATE"
    case delete = "DELETE"

    /// The operation of this change followed by `later` on the same row: a delete wins; a row
    /// deleted and written again was updated (the hub still has the old row); a row inserted
    /// and then updated is still new.
    public func then(_ later: QueueOperation) -> QueueOperation {
        switch (self, later) {
        case (_, .delete): .delete
        case (.delete, _): .update
        case (.insert, _): .insert
        case (.update, let later): later
        }
    }

    /// An SQL expression with the value of `earlier.then(later)`, where `earlier` and `later` are
    /// SQL expressions holding operations: generated from ``then(_:)``'s table, so the trigger
    /// and the Swift code cannot disagree.
    static func coalescingSQL(earlier: String, later: String) -> String {
        var branches: [String] = []
        for next in allCases {
            let results = allCases.map { $0.then(next) }
            let value: String
            if Set(results).count == 1 {
                value = "'\(results[0].rawValue)'"
            } else {
                value =
                    "CASE \(earlier) "
                    + zip(allCases, results).map { "WHEN '\($0.rawValue)' THEN '\($1.rawValue)'" }.joined(
                        separator: " "
                    )
                    + " END"
            }
            branches.append("WHEN '\(next.rawValue)' THEN \(value)")
        }
        return "CASE \(later) \(branches.joined(separator: " ")) END"
    }
}
