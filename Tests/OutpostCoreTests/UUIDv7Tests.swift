import Foundation
import Testing

@testable import OutpostCore

@Suite("UUIDv7")
struct UUIDv7Tests {
    @Test("ids are well formed, version 7, RFC variant")
    func wellFormed() {
        var ids = UUIDv7()
        let id = ids.next()
        #expect(UUIDv7.isWellFormed(id))
        let characters = Array(id)
        #expect(characters[14] == "7")
        #expect("89ab".contains(characters[19]))
    }

    @Test("ids from one generator strictly increase, within and across milliseconds")
    func strictlyIncrease() {
        let fixed: @Sendable () -> UInt64 = { 1_790_000_000_000 }
        var ids = UUIDv7(now: fixed)
        var previous = ids.next()
        for _ in 0..<10_000 {
            let next = ids.next()
            #expect(next > previous)
            previous = next
        }
        var real = UUIDv7()
        let a = real.next()
        let b = real.next()
        #expect(a < b)
    }

    @Test("the time prefix encodes the milliseconds")
    func timePrefix() {
        var ids = UUIDv7(now: { 0x0123_4567_89AB })
        #expect(ids.next().hasPrefix("01234567-89ab-7"))
    }

    @Test("every digit is where RFC 9562 puts it: the milliseconds, version, variant, counter")
    func digitsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let milliseconds = UInt64.random(in: 0...0xFFFF_FFFF_FFFF, using: &generator)
            var ids = UUIDv7(now: { milliseconds })
            let id = ids.next()
            // Foundation reads it back to the same text: 32 hex digits in 8-4-4-4-12.
            #expect(try #require(UUID(uuidString: id)).uuidString.lowercased() == id)
            let hex = id.replacingOccurrences(of: "-", with: "")
            #expect(UInt64(hex.prefix(12), radix: 16) == milliseconds)
            #expect(hex.dropFirst(12).first == "7")
            #expect("89ab".contains(hex.dropFirst(16).first!))
        }
    }
}
