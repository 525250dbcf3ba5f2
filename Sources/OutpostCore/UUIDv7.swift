/// Time-ordered identifiers (RFC 9562 UUID version 7) in their usual text form.
///
/// Row ids and node ids that Outpost generates are UUIDv7: ids made close in time sort close
/// together, so inserts land at the end of the primary-key B-tree instead of at random pages
/// (random keys make small transactions several times slower).
///
/// ```swift
/// var ids = UUIDv7()
/// let id = ids.next()   // "0193a1c2-7b4e-7c3d-9f12-3a4b5c6d7e8f"
/// ```
///
/// Within one millisecond the generator increments a counter held in the random bits, so ids
/// from one generator are strictly increasing (RFC 9562 §6.2, method 3).
public struct UUIDv7: Sendable {
    private var lastMilliseconds: UInt64 = 0
    private var lastLow: UInt64 = 0
    private var lastHigh: UInt16 = 0
    private let now: @Sendable () -> UInt64

    /// - Parameter now: milliseconds since the Unix epoch; defaults to the system clock.
    public init(now: @escaping @Sendable () -> UInt64 = WallClock.milliseconds) {
        self.now = now
    }

    /// The next id, greater than every id this generator returned before.
    public mutating func next() -> String {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// The next id, drawing random bits from `generator` (tests pass a seeded one).
    public mutating func next(using generator: inout some RandomNumberGenerator) -> String {
        let milliseconds = max(now(), lastMilliseconds)
        var high: UInt16
        var low: UInt64
        if milliseconds == lastMilliseconds {
            // Same millisecond: count up from the previous id so order holds (and draw no random
            // bits: two system calls an id were a tenth of a push's planning).
            low = lastLow &+ 1
            high = lastHigh
            if low >= 1 << 62 {
                low = 0
                high = lastHigh &+ 1
            }
        } else {
            high = UInt16.random(in: 0...0x0FFF, using: &generator)
            low = UInt64.random(in: 0...(1 << 62 - 1), using: &generator)
        }
        lastMilliseconds = milliseconds
        lastLow = low
        lastHigh = high & 0x0FFF
        return Self.format(milliseconds: milliseconds, high: lastHigh, low: low)
    }

    /// Whether `text` is a UUID in canonical text form (any version, lower or upper case).
    public static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (offset, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                        || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                        || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
                else { return false }
            }
        }
        return true
    }

    /// The canonical text form, written digit by digit into the string's own storage: the
    /// engine makes an id for every change it pushes, and building it from substrings cost
    /// a tenth of a push's planning.
    private static func format(milliseconds: UInt64, high: UInt16, low: UInt64) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, _ count: Int) {
                for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
                    buffer[position] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            let time = milliseconds & 0xFFFF_FFFF_FFFF
            put(time >> 16, 8)
            dash()
            put(time & 0xFFFF, 4)
            dash()
            put(UInt64(0x7000 | high), 4)
            dash()
            put(0x8000 | (low >> 48) & 0x3FFF, 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, 12)
            return position
        }
    }
}
