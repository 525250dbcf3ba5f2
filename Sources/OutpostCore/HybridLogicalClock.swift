/// A hybrid logical clock (Kulkarni et al., 2014) as a pure state machine.
///
/// It never goes backwards: each reading is greater than the last one and than every remote
/// reading it has seen, even when the wall clock steps back. A remote reading further ahead of
/// the local wall clock than ``maximumDrift`` is clamped, so one node with a wrong clock cannot
/// drag every other node's clock into the future.
///
/// ```swift
/// var clock = HybridLogicalClock(node: nodeID, last: storedPacked)
/// let stamp = clock.tick(now: WallClock.milliseconds())
/// ```
public struct HybridLogicalClock: Sendable {
    public let node: String
    /// The last reading given out or observed, in packed form; persist it to survive restarts.
    public private(set) var last: Int64
    /// How far ahead of local wall time a remote stamp is believed. Defaults to one hour.
    public var maximumDrift: UInt64

    /// One hour, in milliseconds: the default ``maximumDrift``.
    public static let defaultMaximumDrift: UInt64 = 3_600_000

    public init(node: String, last: Int64 = 0, maximumDrift: UInt64 = defaultMaximumDrift) {
        self.node = node
        self.last = last
        self.maximumDrift = maximumDrift
    }

    /// A reading for a local event.
    public mutating func tick(now: UInt64) -> HybridTimestamp {
        last = max(Self.pack(now), last + 1)
        return HybridTimestamp(packed: last, node: node)
    }

    /// Folds in a reading received from another node and returns the local reading after it.
    ///
    /// A remote reading more than ``maximumDrift`` ahead of `now` counts as `now + maximumDrift`.
    public mutating func receive(_ remote: HybridTimestamp, now: UInt64) -> HybridTimestamp {
        let trusted = Self.trusted(remote.packed, now: now, maximumDrift: maximumDrift)
        last = max(Self.pack(now), last + 1, trusted + 1)
        return HybridTimestamp(packed: last, node: node)
    }

    /// The part of a remote packed reading a node believes: at most `maximumDrift` past `now`.
    ///
    /// The one place the drift rule lives; a node's SQL clock floor applies it through here.
    public static func trusted(_ remotePacked: Int64, now: UInt64, maximumDrift: UInt64 = defaultMaximumDrift) -> Int64
    {
        min(remotePacked, pack(now + maximumDrift))
    }

    /// A wall-clock reading in milliseconds as a packed stamp with a zero counter.
    public static func pack(_ milliseconds: UInt64) -> Int64 {
        Int64(bitPattern: milliseconds << UInt64(HybridTimestamp.counterBits))
    }
}
