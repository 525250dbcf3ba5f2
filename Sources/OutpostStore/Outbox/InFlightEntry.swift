/// An entry of the batch in flight, at its place in the batch.
package struct InFlightEntry: Sendable, Equatable {
    package var id: Int64
    package var priority: Int
    /// Its index in the batch as first sent: the change it sent is `changes[position]` of the
    /// batch's kept body.
    package var position: Int
    /// The change as sent, kept in the entry itself (`sync_queue.data`) by stores before
    /// migration v12; `nil` when the batch's body holds it.
    package var sentJSON: String?
}
