/// A queue entry as the push planner reads it: which row, how urgent, and its stamp.
package struct QueuedChange: Sendable, Equatable {
    package var id: Int64
    package var table: String
    package var key: String
    package var priority: Int
    package var hlc: Int64
}
