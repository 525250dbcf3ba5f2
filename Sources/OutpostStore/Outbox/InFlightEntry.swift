/// An entry of the batch in flight: the change exactly as it was sent (`sync_queue.data`).
package struct InFlightEntry: Sendable, Equatable {
    package var id: Int64
    package var priority: Int
    package var sentJSON: String
}
