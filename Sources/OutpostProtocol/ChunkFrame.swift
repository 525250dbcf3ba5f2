import CompressNIO
import Crypto
import Foundation
import NIOCore
public import OutpostCore

/// One file chunk as it crosses the wire, in the binary bodies of `POST /v1/chunks` and the
/// answers of `POST /v1/chunks/fetch` (docs/sync-protocol.md, "File chunks").
///
/// A body is frames back to back, each `hash (32 bytes) | flags (1) | length (4, big-endian) |
/// payload`. Flag bit 0 says the payload (or a delta's middle) is raw deflate. Flag bit 1, in
/// uploads only, says the payload is a *delta* against chunks the hub holds: `head base hash (32)
/// | tail base hash (32) | prefix (4) | suffix (4) | middle`, meaning the chunk is the head
/// base's first `prefix` bytes, the middle, then the tail base's last `suffix` bytes (often one
/// base twice; two when an edit joined two old chunks). An edit inside a chunk then costs about
/// the bytes edited, not the whole chunk. The chunk's identity is the SHA-256 of its plain
/// bytes, which both sides check.
public struct ChunkFrame: Sendable, Equatable {
    /// The SHA-256 of the plain chunk, as 64 hex digits.
    public var hash: String
    public var flags: UInt8
    public var payload: [UInt8]

    public static let compressedFlag: UInt8 = 1
    public static let deltaFlag: UInt8 = 2
    /// Bytes of framing around each payload.
    public static let overhead = 37
    /// Most distinct delta bases a node names in one chunk upload, and the least a hub accepts:
    /// the hub loads each base whole, so it caps them (``deltaBases``).
    public static let deltaBasesPerUpload = 32
    /// Bytes a delta's header takes in its payload.
    static let deltaHeader = 72

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
                throw WireError(path: place, expected: "a delta header (two base hashes, prefix, suffix)")
            }
            frames.append(ChunkFrame(hash: hash, flags: flags, payload: Array(bytes[offset..<offset + length])))
            offset += length
        }
        return frames
    }

    /// The hashes of the chunks a delta frame is based on (head, then tail; empty for a whole
    /// chunk).
    public var deltaBases: [String] {
        flags & Self.deltaFlag == 0 ? [] : [Hex.encode(payload[0..<32]), Hex.encode(payload[32..<64])]
    }

    /// The chunk's plain bytes, checked against ``hash``. A delta frame is applied to the plain
    /// bytes of its ``deltaBases``, which `base` gives by hash.
    ///
    /// - Throws: ``OutpostError`` `.storage` when the payload does not inflate (or inflates past
    ///   `maximumSize`), a delta does not fit its bases, or the bytes do not hash to ``hash``:
    ///   the chunk is corrupt.
    ///
    /// - Parameter checkingHash: false only for a caller that checks what it reads another way
    ///   (a whole file's hash) before using it.
    public func plainBytes(
        maximumSize: Int,
        base: (String) -> [UInt8]? = { _ in nil },
        checkingHash: Bool = true
    ) throws(OutpostError) -> [UInt8] {
        var body = payload[...]
        var head: [UInt8] = []
        var tail: [UInt8] = []
        if flags & Self.deltaFlag != 0 {
            let bases = deltaBases
            guard let first = base(bases[0]), let second = base(bases[1]) else {
                throw corrupt("it is a delta and its bases were not given")
            }
            let prefix = Self.integer(payload, at: 64)
            let suffix = Self.integer(payload, at: 68)
            guard prefix <= first.count, suffix <= second.count else {
                throw corrupt("its delta does not fit its bases")
            }
            head = Array(first[..<prefix])
            tail = Array(second[(second.count - suffix)...])
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
        if flags & Self.deltaFlag != 0 {
            plain = head + plain + tail
        }
        guard plain.count <= maximumSize else { throw corrupt("it is larger than \(maximumSize) bytes") }
        guard checkingHash else { return plain }
        let digest = plain.withUnsafeBytes { SHA256.hash(data: $0) }
        guard Hex.encode(digest) == hash else { throw corrupt("its bytes do not match its hash") }
        return plain
    }

    /// The smallest delta frame for `plain` that takes its head from one of `bases` and its
    /// tail from one of them (the same or another), or nil when none shares enough to pay.
    public static func delta(plain: [UInt8], hash: String, bases: [(hash: String, bytes: [UInt8])]) -> ChunkFrame? {
        func prefix(_ base: [UInt8]) -> Int {
            let limit = min(plain.count, base.count)
            var length = 0
            while length < limit, plain[length] == base[length] { length += 1 }
            return length
        }
        func suffix(_ base: [UInt8], after start: Int) -> Int {
            let limit = min(plain.count - start, base.count)
            var length = 0
            while length < limit, plain[plain.count - 1 - length] == base[base.count - 1 - length] { length += 1 }
            return length
        }
        var best: (head: Int, tail: Int, prefix: Int, suffix: Int)?
        for (headIndex, head) in bases.enumerated() {
            let kept = prefix(head.bytes)
            for (tailIndex, tail) in bases.enumerated() {
                let end = suffix(tail.bytes, after: kept)
                if kept + end > (best.map { $0.prefix + $0.suffix } ?? 2 * deltaHeader) {
                    best = (headIndex, tailIndex, kept, end)
                }
            }
        }
        guard let best else { return nil }
        let middle = Array(plain[best.prefix..<(plain.count - best.suffix)])
        let packed = middle.withUnsafeBytes { make(plain: $0, hash: hash) }
        var payload = (Hex.decode(bases[best.head].hash) ?? []) + (Hex.decode(bases[best.tail].hash) ?? [])
        payload += bigEndian(best.prefix) + bigEndian(best.suffix) + packed.payload
        return ChunkFrame(hash: hash, flags: packed.flags | deltaFlag, payload: payload)
    }

    /// A frame for `plain`, deflated when that saves at least 10%. Bytes that look random (media,
    /// models, encrypted or already compressed data) are not tried: deflating them cost ~4 s of
    /// a 256 MiB put and saved nothing (``looksIncompressible(_:)``).
    public static func make(plain: UnsafeRawBufferPointer, hash: String) -> ChunkFrame {
        if mayCompress(plain), let deflated = deflate(plain) {
            return ChunkFrame(hash: hash, flags: compressedFlag, payload: deflated)
        }
        return ChunkFrame(hash: hash, flags: 0, payload: Array(plain))
    }

    /// Whether deflating `plain` is worth trying: it is not tiny and does not look like random
    /// bytes. A put asks this on the thread that hashes its chunks.
    public static func mayCompress(_ plain: UnsafeRawBufferPointer) -> Bool {
        plain.count >= 64 && !looksIncompressible(plain)
    }

    /// `plain` deflated, when that saves at least 10%; nil when the chunk is better kept as it
    /// is (a caller with no use for a frame can then write `plain` without copying it into one).
    public static func deflate(_ plain: UnsafeRawBufferPointer) -> [UInt8]? {
        var buffer = ByteBuffer(bytes: plain)
        guard let compressed = try? buffer.compress(with: .deflate()), compressed.readableBytes * 10 <= plain.count * 9
        else { return nil }
        return Array(compressed.readableBytesView)
    }

    /// Whether `bytes` are as evenly spread over the 256 byte values as random bytes are: the
    /// Shannon entropy of a sample of n of them falls short of 8 bits a byte by less than twice
    /// what random data's does by chance (~255 / (2 n ln 2) bits). Counting bytes runs at memory
    /// speed; deflate on such bytes ran at ~60 MB/s to save nothing. Data whose byte values are
    /// even but which repeats itself at a distance (a random block written twice) may be left
    /// uncompressed: a loss of space, never of data.
    static func looksIncompressible(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Smaller chunks (a file's chunk lists among them, random hashes beside compressible
        // lengths) cost little to try.
        guard bytes.count >= 4_096 else { return false }
        // Every fourth byte: a quarter of the work, and still thousands of samples a chunk.
        var counts = [Int](repeating: 0, count: 256)
        var samples = 0
        counts.withUnsafeMutableBufferPointer { counts in
            var index = 0
            while index < bytes.count {
                counts[Int(bytes[index])] += 1
                samples += 1
                index += 4
            }
        }
        let total = Double(samples)
        var entropy = 0.0
        for count in counts where count > 0 {
            let share = Double(count) / total
            entropy -= share * log2(share)
        }
        let chanceShortfall = 255 / (2 * total * log(2))
        return 8 - entropy < 2 * chanceShortfall
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
