import Testing

@testable import OutpostCore

@Suite("Hybrid logical clock")
struct HybridLogicalClockTests {
    @Test("ticks strictly increase, even when the wall clock steps back")
    func ticksIncrease() {
        var clock = HybridLogicalClock(node: "a")
        let first = clock.tick(now: 1_000)
        let second = clock.tick(now: 1_000)
        let third = clock.tick(now: 900)
        #expect(first < second)
        #expect(second < third)
        #expect(first.milliseconds == 1_000 && first.counter == 0)
        #expect(second.counter == 1)
    }

    @Test("a received stamp moves the clock past it")
    func receiveMovesPast() {
        var clock = HybridLogicalClock(node: "a")
        let remote = HybridTimestamp(milliseconds: 5_000, counter: 3, node: "b")
        let local = clock.receive(remote, now: 4_000)
        #expect(local.packed > remote.packed)
    }

    @Test("a remote stamp far in the future is clamped, not trusted")
    func clampsFutureStamps() {
        var clock = HybridLogicalClock(node: "a", maximumDrift: 1_000)
        let liar = HybridTimestamp(milliseconds: 1_000_000_000, counter: 0, node: "b")
        let local = clock.receive(liar, now: 10_000)
        #expect(local.milliseconds <= 11_000)
    }

    @Test("the packed form round-trips and sorts like the stamp")
    func packedRoundTrips() {
        let stamp = HybridTimestamp(milliseconds: 1_790_000_000_000, counter: 42, node: "n")
        #expect(HybridTimestamp(packed: stamp.packed, node: "n") == stamp)
        let later = HybridTimestamp(milliseconds: 1_790_000_000_000, counter: 43, node: "a")
        #expect(stamp.packed < later.packed)
        #expect(stamp < later)
    }

    @Test("equal times and counters are ordered by node id")
    func nodeBreaksTies() {
        let a = HybridTimestamp(milliseconds: 1, counter: 1, node: "a")
        let b = HybridTimestamp(milliseconds: 1, counter: 1, node: "b")
        #expect(a < b)
    }
}
