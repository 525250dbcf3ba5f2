import Foundation
import OutpostSystem
import Synchronization
import Testing

@Suite("Dedicated threads")
struct DedicatedThreadTests {
    @Test("run gives back the work's value or its error, from a thread that is not the caller's")
    func valueAndError() async throws {
        let caller = pthread_self()
        let ranElsewhere = try await DedicatedThread.run { pthread_equal(pthread_self(), caller) == 0 }
        #expect(ranElsewhere)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await DedicatedThread.run { () throws -> Int in throw Refused() } }
    }

    @Test("two hundred blocked waits at once all end: none holds a cooperative thread")
    func manyBlockedWaits() async throws {
        let gate = DispatchSemaphore(value: 0)
        let started = Counter()
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await DedicatedThread.run {
                        started.value.add(1, ordering: .relaxed)
                        gate.wait()
                        gate.signal()
                        return index
                    }
                }
            }
            // Every thread is blocked on the gate before it opens: 200 blocked threads, while
            // this task (on the two-thread cooperative pool) still runs.
            while started.value.load(ordering: .relaxed) < 200 { try await Task.sleep(for: .milliseconds(5)) }
            gate.signal()
            return try await group.reduce(0, +)
        }
        #expect(sums == (0..<200).reduce(0, +))
    }

    @Test("start runs its body on a detached thread")
    func startRuns() throws {
        let done = DispatchSemaphore(value: 0)
        try DedicatedThread.start { done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
    }
}

/// A count shared by the threads of a test.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
