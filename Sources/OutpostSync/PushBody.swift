import CompressNIO
import NIOCore

/// A push request's body as it goes on the wire: gzip-compressed when over 1 KiB, like every
/// body the node sends. The batch in flight keeps it (`outpost_sent_batches`), so a batch whose
/// answer was lost is sent again byte for byte.
struct PushBody: Sendable, Equatable {
    var bytes: ByteBuffer
    var isCompressed: Bool

    /// `json` as the wire carries it.
    init(json: String) {
        (bytes, isCompressed) = HubClient.wireBody(ByteBuffer(string: json))
    }

    /// A body kept by the store, with its content encoding (`gzip` or `identity`, which the
    /// store's table allows alone).
    init(stored: [UInt8], encoding: String) {
        bytes = ByteBuffer(bytes: stored)
        isCompressed = encoding == Self.gzip
    }

    /// The content encoding, as the store keeps it and the `Content-Encoding` header names it.
    var encoding: String { isCompressed ? Self.gzip : Self.identity }

    /// The body's bytes, for the store.
    var storedBytes: [UInt8] { Array(bytes.readableBytesView) }

    /// The JSON text it carries.
    func json() throws -> String {
        guard isCompressed else { return String(buffer: bytes) }
        var compressed = bytes
        return String(buffer: try compressed.decompress(with: .gzip(), maxSize: 1 << 30))
    }

    private static let gzip = "gzip"
    private static let identity = "identity"
}
