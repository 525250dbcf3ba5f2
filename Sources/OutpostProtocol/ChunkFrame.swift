import CompressNIO
import Crypto
import NIOCore
public import OutpostCore

/// One file chunk as it crosses the wire, in the binary bodies of `POST /v1/chunks` and the
/// answers of `POST /v1/chunks/fetch` (docs/sync-protocol.md, "File chunks").
///
/// A body is frames back to back, each `hash (32 bytes) | flags (1) | length (4, big-endian) |
/// payload`. Flag bit 0 says the payload is raw deflate of the chunk; no other bit is allowed.
/// The chunk's identity is the SHA-256 of its plain bytes, which both sides check.
public struct ChunkFrame: Sendable, Equatable {
    /// The SHA-256 of the plain chunk, as 64 hex digits.
    public var hash: String
    public var flags: UInt8
    public var payload: [UInt8]

    public static let compressedFlag: UInt8 = 1
    /// Bytes of framing around each payload.
    public static let overhead = 37

    public init(hash: String, flags: UInt8, payload: [UInt8]) {
        self.hash = hash
        self.flags = flags
        self.payload = payload
    }

    /// Whether `text` is a chunk hash: 64 lower-case hex digits.
    public static func isWellFormedHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Frames as one body.
    public static func encode(_ frames: [ChunkFrame]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frames.reduce(0) { $0 + overhead + $1.payload.count })
        for frame in frames {
            bytes += Hex.decode(frame.hash) ?? []
            bytes.append(frame.flags)
            let length = UInt32(frame.payload.count)
            bytes += [
                UInt8(length >> 24), UInt8((length >> 16) & 255), UInt8((length >> 8) & 255), UInt8(length & 255),
            ]
            bytes += frame.payload
        }
        return bytes
    }

    /// The frames of a body.
    ///
    /// - Throws: ``WireError`` naming the frame when the body is cut short, a flag is unknown or
    ///   a payload is longer than `maximumPayload`.
    public static func decode(_ body: some Collection<UInt8>, maximumPayload: Int) throws(WireError) -> [ChunkFrame] {
        let bytes = Array(body)
        var frames: [ChunkFrame] = []
        var offset = 0
        while offset < bytes.count {
            let place = "frame \(frames.count)"
            guard bytes.count - offset >= overhead else {
                throw WireError(path: place, expected: "a 37-byte header (hash, flags, length)")
            }
            let hash = Hex.encode(bytes[offset..<offset + 32])
            let flags = bytes[offset + 32]
            guard flags & ~compressedFlag == 0 else { throw WireError(path: place, expected: "flags 0 or 1") }
            let length =
                Int(bytes[offset + 33]) << 24 | Int(bytes[offset + 34]) << 16 | Int(bytes[offset + 35]) << 8
                | Int(bytes[offset + 36])
            offset += overhead
            guard length <= maximumPayload else {
                throw WireError(path: place, expected: "a payload of at most \(maximumPayload) bytes")
            }
            guard bytes.count - offset >= length else {
                throw WireError(path: place, expected: "\(length) payload bytes, but the body ends first")
            }
            frames.append(ChunkFrame(hash: hash, flags: flags, payload: Array(bytes[offset..<offset + length])))
            offset += length
        }
        return frames
    }

    /// The chunk's plain bytes, checked against ``hash``.
    ///
    /// - Throws: ``OutpostError`` `.storage` when the payload does not inflate (or inflates past
    ///   `maximumSize`) or does not hash to ``hash``: the chunk is corrupt.
    public func plainBytes(maximumSize: Int) throws(OutpostError) -> [UInt8] {
        let plain: [UInt8]
        if flags & Self.compressedFlag != 0 {
            var buffer = ByteBuffer(bytes: payload)
            guard let inflated = try? buffer.decompress(with: .deflate(), maxSize: maximumSize) else {
                throw corrupt("it does not decompress to at most \(maximumSize) bytes")
            }
            plain = Array(inflated.readableBytesView)
        } else {
            plain = payload
        }
        guard plain.count <= maximumSize else { throw corrupt("it is larger than \(maximumSize) bytes") }
        let digest = plain.withUnsafeBytes { SHA256.hash(data: $0) }
        guard Hex.encode(digest) == hash else { throw corrupt("its bytes do not match its hash") }
        return plain
    }

    /// A frame for `plain`, deflated when that saves at least 10%.
    public static func make(plain: UnsafeRawBufferPointer, hash: String) -> ChunkFrame {
        if plain.count >= 64 {
            var buffer = ByteBuffer(bytes: plain)
            if let compressed = try? buffer.compress(with: .deflate()), compressed.readableBytes * 10 <= plain.count * 9
            {
                return ChunkFrame(hash: hash, flags: compressedFlag, payload: Array(compressed.readableBytesView))
            }
        }
        return ChunkFrame(hash: hash, flags: 0, payload: Array(plain))
    }

    private func corrupt(_ why: String) -> OutpostError {
        OutpostError(
            .storage,
            "Chunk \(hash.prefix(12))… is corrupt: \(why). It was not used; it must be fetched or sent again.",
            details: ["chunk": hash]
        )
    }
}
