import OutpostCore

/// Finds chunk boundaries by content (FastCDC-style gear hashing with normalised chunking), so an
/// insertion or deletion in a file changes only the chunks around it and every other chunk keeps
/// its bytes, and so its hash.
///
/// Boundaries depend only on the bytes, never on where a read buffer ended, and the gear table is
/// fixed, so every node cuts the same file into the same chunks.
///
/// ```swift
/// let chunker = ContentDefinedChunker(averageSize: 16 << 10)
/// let length = bytes.withUnsafeBytes { chunker.cut($0) }   // the first chunk's length
/// ```
public struct ContentDefinedChunker: Sendable, Equatable {
    /// No chunk is shorter than this, except the last of a file.
    public let minimumSize: Int
    /// The size chunks centre on.
    public let averageSize: Int
    /// No chunk is longer than this.
    public let maximumSize: Int
    /// Below the average size, a boundary needs two more zero bits (fewer small chunks); above
    /// it, two fewer (fewer large ones). This is FastCDC's "normalised chunking", level 2.
    private let strictMask: UInt64
    private let looseMask: UInt64

    /// - Parameter averageSize: a power of two from 256 bytes to 128 KiB; defaults to 16 KiB. The
    ///   minimum is a quarter of it and the maximum eight times it (so no chunk exceeds 1 MiB,
    ///   the most a hub accepts).
    /// - Precondition: `averageSize` is a power of two in range (callers validate user input
    ///   with ``isValidAverageSize(_:)`` first).
    public init(averageSize: Int = 16 << 10) {
        precondition(Self.isValidAverageSize(averageSize), "average chunk size must be a power of two, 256 B…128 KiB")
        self.averageSize = averageSize
        minimumSize = averageSize / 4
        maximumSize = averageSize * 8
        let bits = averageSize.trailingZeroBitCount
        strictMask = Self.highBits(bits + 2)
        looseMask = Self.highBits(bits - 2)
    }

    /// Whether `size` can be an average chunk size.
    public static func isValidAverageSize(_ size: Int) -> Bool {
        size >= 256 && size <= 128 << 10 && size & (size - 1) == 0
    }

    /// The length of the chunk that starts at the beginning of `bytes`.
    ///
    /// Pass at least ``maximumSize`` bytes unless the file ends sooner: with fewer, the answer
    /// may be a cut that the whole file would not make.
    public func cut(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        if count <= minimumSize { return count }
        let limit = min(count, maximumSize)
        let middle = min(limit, averageSize)
        var hash: UInt64 = 0
        var index = minimumSize
        return Self.gear.withUnsafeBufferPointer { gear in
            if let cut = Self.roll(bytes, gear, &hash, &index, until: middle, mask: strictMask) { return cut }
            if let cut = Self.roll(bytes, gear, &hash, &index, until: limit, mask: looseMask) { return cut }
            return limit
        }
    }

    /// Rolls the gear hash over `bytes[index..<end]` and returns the cut after the first byte
    /// where `hash & mask` is zero, or nil (with `hash` and `index` at `end`).
    ///
    /// Four bytes a step: the hash after the fourth byte is `(hash << 4) + (g0 << 3) + (g1 << 2)
    /// + (g2 << 1) + g3`, whose terms do not wait on the hash, so the chain from one step to the
    /// next is one shift and one add per four bytes instead of per byte (a third of a put's time
    /// was this loop). The three hashes in between are still each checked, so the cuts are those
    /// of rolling one byte at a time.
    @inline(__always)
    private static func roll(
        _ bytes: UnsafeRawBufferPointer,
        _ gear: UnsafeBufferPointer<UInt64>,
        _ hash: inout UInt64,
        _ index: inout Int,
        until end: Int,
        mask: UInt64
    ) -> Int? {
        while index + 4 <= end {
            let g0 = gear[Int(bytes[index])]
            let g1 = gear[Int(bytes[index + 1])]
            let g2 = gear[Int(bytes[index + 2])]
            let g3 = gear[Int(bytes[index + 3])]
            let h0 = (hash << 1) &+ g0
            let h1 = (h0 << 1) &+ g1
            let h2 = (h1 << 1) &+ g2
            let next = (hash << 4) &+ ((g0 << 3) &+ (g1 << 2) &+ (g2 << 1) &+ g3)
            if h0 & mask == 0 { return index + 1 }
            if h1 & mask == 0 { return index + 2 }
            if h2 & mask == 0 { return index + 3 }
            if next & mask == 0 { return index + 4 }
            hash = next
            index += 4
        }
        while index < end {
            hash = (hash << 1) &+ gear[Int(bytes[index])]
            if hash & mask == 0 { return index + 1 }
            index += 1
        }
        return nil
    }

    /// The lengths of every chunk of `bytes`, which hold a whole file.
    public func lengths(of bytes: UnsafeRawBufferPointer) -> [Int] {
        var lengths: [Int] = []
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let length = cut(rest)
            lengths.append(length)
            offset += length
        }
        return lengths
    }

    /// A mask of the `count` highest bits: the gear hash's high bits depend on the last 64
    /// bytes, its low bits on only the last few.
    private static func highBits(_ count: Int) -> UInt64 {
        count <= 0 ? 0 : ~UInt64(0) << (64 - count)
    }

    /// 256 fixed pseudo-random values (SplitMix64 from a constant seed), one per byte value.
    static let gear: [UInt64] = {
        var generator = SplitMix64(seed: 0x6f75_7470_6f73_7421)  // "outpost!"
        return (0..<256).map { _ in generator.next() }
    }()
}
