import CompressNIO
import Crypto
import NIOCore
public import OutpostCore

/// One file chunk as it crosses the wire, in the binary bodies of `POST /v1/chunks` and the
/// answers of `POST /v1/chunks/fetch` (docs/sync-protocol.md, "File chunks").
///
/// A body is frames back to back, each `hash (32 bytes) | flags (1) | length (4, big-endian) |
/// payload`. Flag bit 0 says the payload (or a delta's middle) is raw deflate. Flag bit 1, in
/// uploads only, says the payload is a *delta* against a chunk the hub holds: `base hash (32) |
/// prefix (4) | suffix (4) | middle`, meaning the chunk is the base's first `prefix` bytes, the
/// middle, then the base's last `suffix` bytes. An edit inside a chunk then costs about the
/// bytes edited, not the whole chunk. The chunk's identity is the SHA-256 of its plain bytes,
/// which both sides check.
public struct ChunkFrame: Sendable, Equatable {
    /// The SHA-256 of the plain chunk, as 64 hex digits.
    public var hash: String
    public var flags: UInt8
    public var payload: [UInt8]

    public static let compressedFlag: UInt8 = 1
    public static let deltaFlag: UInt8 = 2
    /// Bytes of framing around each payload.
    public static let overhead = 37
    /// Bytes a delta's header takes in its payload.
    static let deltaHeader = 40

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
            bytes += bigEndian(frame.payload.count)
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
            guard flags & ~(compressedFlag | deltaFlag) == 0 else {
                throw WireError(path: place, expected: "flags 0 to 3")
            }
            let length = integer(bytes, at: offset + 33)
            offset += overhead
            guard length <= maximumPayload else {
                throw WireError(path: place, expected: "a payload of at most \(maximumPayload) bytes")
            }
            guard bytes.count - offset >= length else {
                throw WireError(path: place, expected: "\(length) payload bytes, but the body ends first")
            }
            guard flags & deltaFlag == 0 || length >= deltaHeader else {
                throw WireError(path: place, expected: "a delta header (base hash, prefix, suffix)")
            }
            frames.append(ChunkFrame(hash: hash, flags: flags, payload: Array(bytes[offset..<offset + length])))
            offset += length
        }
        return frames
    }

    /// The hash of the chunk a delta frame is based on, or nil for a whole chunk.
    public var deltaBase: String? {
        flags & Self.deltaFlag == 0 ? nil : Hex.encode(payload.prefix(32))
    }

    /// The chunk's plain bytes, checked against ``hash``. A delta frame is applied to `base`,
    /// the plain bytes of ``deltaBase``.
    ///
    /// - Throws: ``OutpostError`` `.storage` when the payload does not inflate (or inflates past
    ///   `maximumSize`), a delta does not fit its base, or the bytes do not hash to ``hash``:
    ///   the chunk is corrupt.
    public func plainBytes(maximumSize: Int, base: [UInt8]? = nil) throws(OutpostError) -> [UInt8] {
        var body = payload[...]
        var prefix = 0
        var suffix = 0
        if flags & Self.deltaFlag != 0 {
            guard let base else { throw corrupt("it is a delta and its base was not given") }
            prefix = Self.integer(payload, at: 32)
            suffix = Self.integer(payload, at: 36)
            guard prefix + suffix <= base.count else { throw corrupt("its delta does not fit its base") }
            body = payload[Self.deltaHeader...]
        }
        var plain: [UInt8]
        if flags & Self.compressedFlag != 0 {
            var buffer = ByteBuffer(bytes: body)
            guard let inflated = try? buffer.decompress(with: .deflate(), maxSize: maximumSize) else {
                throw corrupt("it does not decompress to at most \(maximumSize) bytes")
            }
            plain = Array(inflated.readableBytesView)
        } else {
            plain = Array(body)
        }
        if let base, flags & Self.deltaFlag != 0 {
            plain = Array(base[..<prefix]) + plain + base[(base.count - suffix)...]
        }
        guard plain.count <= maximumSize else { throw corrupt("it is larger than \(maximumSize) bytes") }
        let digest = plain.withUnsafeBytes { SHA256.hash(data: $0) }
        guard Hex.encode(digest) == hash else { throw corrupt("its bytes do not match its hash") }
        return plain
    }

    /// A delta frame for `plain` against `base` (whose hash is `baseHash`), or nil when the two
    /// share too little for a delta to pay.
    public static func delta(plain: [UInt8], hash: String, base: [UInt8], baseHash: String) -> ChunkFrame? {
        let limit = min(plain.count, base.count)
        var prefix = 0
        while prefix < limit, plain[prefix] == base[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < limit - prefix, plain[plain.count - 1 - suffix] == base[base.count - 1 - suffix] { suffix += 1 }
        guard prefix + suffix >= 2 * deltaHeader else { return nil }
        let middle = Array(plain[prefix..<(plain.count - suffix)])
        let packed = middle.withUnsafeBytes { make(plain: $0, hash: hash) }
        var payload = Hex.decode(baseHash) ?? []
        payload += bigEndian(prefix) + bigEndian(suffix) + packed.payload
        return ChunkFrame(hash: hash, flags: packed.flags | deltaFlag, payload: payload)
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

    private static func integer(_ bytes: [UInt8], at offset: Int) -> Int {
        Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
    }

    private static func bigEndian(_ value: Int) -> [UInt8] {
        let value = UInt32(value)
        return [UInt8(value >> 24), UInt8((value >> 16) & 255), UInt8((value >> 8) & 255), UInt8(value & 255)]
    }

    private func corrupt(_ why: String) -> OutpostError {
        OutpostError(
            .storage,
            "Chunk \(hash.prefix(12))… is corrupt: \(why). It was not used; it must be fetched or sent again.",
            details: ["chunk": hash]
        )
    }
}
