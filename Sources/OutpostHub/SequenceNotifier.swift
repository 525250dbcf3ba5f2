import Synchronization

/// Wakes pulls waiting on a tenant when a push through this process commits, or when
/// ``HubChangeFollower`` learns that another process changed it.
final class SequenceNotifier: Sendable {
    /// The tenant id a change feed reports when every tenant may have changed (a revocation).
    static let everyTenant = "*"

    /// One wait: fired once, by a notification, the timeout or cancellation, whichever is first.
    private final class Slot: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, fired: Bool)>((nil, false))

        func fire() {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard !state.fired else { return nil }
                state.fired = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume()
        }

        func install(_ continuation: CheckedContinuation<Void, Never>) {
            let firedAlready = state.withLock { state -> Bool in
                if !state.fired { state.continuation = continuation }
                return state.fired
            }
            if firedAlready { continuation.resume() }
        }
    }

    private let waiters = Mutex<[String: [ObjectIdentifier: Slot]]>([:])

    /// Wakes every waiter of `tenantID`.
    func notify(tenantID: String) {
        let slots = waiters.withLock { $0.removeValue(forKey: tenantID) ?? [:] }
        for slot in slots.values { slot.fire() }
    }

    /// Wakes every waiter of every tenant.
    func notifyAll() {
        let slots = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters.values.flatMap(\.values)
        }
        for slot in slots { slot.fire() }
    }

    /// Returns when `tenantID` is notified, `timeout` passes, or the task is cancelled.
    func wait(tenantID: String, timeout: Duration) async {
        let slot = Slot()
        let id = ObjectIdentifier(slot)
        waiters.withLock { $0[tenantID, default: [:]][id] = slot }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            slot.fire()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { slot.install($0) }
        } onCancel: {
            slot.fire()
        }
        timer.cancel()
        waiters.withLock { _ = $0[tenantID]?.removeValue(forKey: id) }
    }
}
