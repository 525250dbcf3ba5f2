import Foundation

/// Runs blocking work (waiting for a child process) on a thread of its own.
///
/// Swift's cooperative pool has one thread per core: two callers blocked on a child on a
/// two-core machine would stop every other task in the process, including an in-process hub
/// the child may be talking to. An async caller awaits this instead and keeps its thread free.
package enum DedicatedThread {
    package static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
