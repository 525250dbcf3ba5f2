/// A hybrid-logical-clock reading: wall time in milliseconds, a logical counter, and the node.
///
/// Compared as (milliseconds, counter, node id): the order every node agrees on when it has to
/// pick "the newer" of two writes. The first two parts pack into one 64-bit integer
/// (`milliseconds << 16 | counter`), the form stored in SQLite and sent on the wire.
public struct HybridTimestamp: Hashable, Comparable, Sendable, LosslessStringConvertible {
    /// Bits of the packed form given to the logical counter.
    public static let counterBits = 16

    public var milliseconds: UInt64
    public var counter: UInt16
    public var node: String

    public init(milliseconds: UInt64, counter: UInt16, node: String) {
        self.milliseconds = milliseconds
        self.counter = counter
        self.node = node
    }

    /// Unpacks the stored 64-bit form.
    public init(packed: Int64, node: String) {
        self.milliseconds = UInt64(packed) >> UInt64(Self.counterBits)
        self.counter = UInt16(truncatingIfNeeded: packed)
        self.node = node
    }

    /// `milliseconds << 16 | counter`, which sorts like the timestamp (node aside).
    public var packed: Int64 {
        Int64(bitPattern: milliseconds << UInt64(Self.counterBits) | UInt64(counter))
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.milliseconds, lhs.counter, lhs.node) < (rhs.milliseconds, rhs.counter, rhs.node)
    }

    /// Reads the ``description`` form back: `1790000000000.3@edge-1`.
    ///
    /// The node id is everything after the first `@`, so it may itself contain one. Returns
    /// `nil` for text of any other shape.
    public init?(_ text: String) {
        guard let at = text.firstIndex(of: "@") else { return nil }
        let clock = text[..<at].split(separator: ".", omittingEmptySubsequences: false)
        guard clock.count == 2, let milliseconds = UInt64(clock[0]), let counter = UInt16(clock[1]) else {
            return nil
        }
        self.init(milliseconds: milliseconds, counter: counter, node: String(text[text.index(after: at)...]))
    }

    /// `1790000000000.3@edge-1`: milliseconds, counter and node; ``init(_:)`` reads it back.
    public var description: String { "\(milliseconds).\(counter)@\(node)" }
}
