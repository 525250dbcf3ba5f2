import OutpostBench
import OutpostCore
import OutpostMerge
import Testing

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

    @Test("every benchmark conflict resolves to a row without a person")
    func resolvesAutomatically() {
        let resolver = ConflictResolver()
        for conflict in MergeBenchmark(conflicts: 200).makeConflicts() {
            #expect(resolver.resolve(conflict).value != nil)
        }
    }
}
