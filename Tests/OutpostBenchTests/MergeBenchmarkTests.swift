import OutpostCore
import OutpostMerge
import Testing

@testable import OutpostBench

@Suite("Merge benchmark")
struct MergeBenchmarkTests {
    @Test("the same seed builds the same conflicts; another seed builds others")
    func seededInputs() {
        let first = MergeBenchmark(conflicts: 50, seed: 7).makeConflicts()
        #expect(first == MergeBenchmark(conflicts: 50, seed: 7).makeConflicts())
        #expect(first != MergeBenchmark(conflicts: 50, seed: 8).makeConflicts())
        #expect(Set(first.map(\.entityType)) == ["agents", "workflows"])
        #expect(first.allSatisfy { $0.local != $0.remote || $0.local != $0.base })
    }

    @Test("a run resolves every conflict and reports what it measured")
    func run() {
        let result = MergeBenchmark(conflicts: 200).run()
        #expect(result.conflicts == 200)
        #expect(result.elapsed > .zero)
        #expect(result.conflictsPerSecond > 0)
        #expect(result.collisions > 0)
        #expect(result.needingApproval < result.conflicts)
    }

    @Test("the report and the JSON give the figures `outpost bench merge` prints")
    func report() {
        let fast = MergeBenchmark.Result(
            conflicts: 100_000,
            elapsed: .milliseconds(500),
            needingApproval: 2_400,
            collisions: 56_000
        )
        #expect(
            fast.report == """
                100000 conflicts in 0.500 s, one thread
                200000 conflicts/s  (target ≥ 20000/s on one core: met)
                needing approval: 2400; colliding fields: 56000
                """
        )
        #expect(
            fast.json(machine: "test machine") == [
                "machine": "test machine", "conflicts": .integer(100_000), "seconds": .double(0.5),
                "conflicts_per_second": .double(200_000), "needing_approval": .integer(2_400),
                "collisions": .integer(56_000), "target_per_second": .double(20_000), "meets_target": .bool(true),
            ]
        )
        let slow = MergeBenchmark.Result(conflicts: 100, elapsed: .seconds(10), needingApproval: 0, collisions: 0)
        #expect(slow.report.contains("10 conflicts/s  (target ≥ 20000/s on one core: NOT met)"))
        #expect(slow.json(machine: "m")["meets_target"] == .bool(false))
    }

    @Test("every benchmark conflict resolves to a row without a person")
    func resolvesAutomatically() {
        let resolver = ConflictResolver()
        for conflict in MergeBenchmark(conflicts: 200).makeConflicts() {
            #expect(resolver.resolve(conflict).value != nil)
        }
    }
}
