/// The batch sent last whose answer never came (a crash, a cut connection): what the push needs
/// to send it again exactly as before.
package struct InFlightBatch: Sendable {
    package var id: String
    /// Its entries still in flight, in their places.
    package var entries: [InFlightEntry]
    /// The request body as it went on the wire (`outpost_sent_batches`); `nil` for a batch a
    /// store before migration v12 sent, whose entries hold their changes.
    package var body: [UInt8]?
    /// The body's content encoding (`gzip` or `identity`).
    package var bodyEncoding: String?
}
