import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs blocking work (waiting for a child process, a pipe, a socket) on a thread of its own.
///
/// Swift's cooperative pool has one thread per core: two callers blocked on a child on a
/// two-core machine would stop every other task in the process, including an in-process hub
/// the child may be talking to. An async caller awaits ``run(_:)`` instead and keeps its
/// thread free.
///
/// Threads are made with `pthread_create` directly rather than Foundation's
/// `Thread.detachNewThread`, whose `start()` ignores a failed `pthread_create`: the block then
/// never runs, and whoever awaits it waits for ever with no thread left to show why (test runs
/// were seen to hang exactly so). Here a refusal the system calls temporary (`EAGAIN`) is
/// retried for a while, and any other failure is reported.
package enum DedicatedThread {
    /// Runs `work` on a new thread and returns its result.
    ///
    /// - Throws: what `work` throws, or ``ThreadStartError`` when no thread could be made.
    package static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try start { continuation.resume(with: Result { try work() }) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Starts `body` on a new detached thread and returns at once.
    ///
    /// - Throws: ``ThreadStartError`` when the system refused a thread for about five seconds
    ///   (`EAGAIN`: a thread or process limit was reached) or for another reason at once.
    package static func start(_ body: @escaping @Sendable () -> Void) throws(ThreadStartError) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var pause: UInt32 = 1_000
        var waited: UInt32 = 0
        while true {
            var thread = pthread_t()
            let result = pthread_create(
                &thread,
                nil,
                { context in
                    let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
                    body.run()
                    return nil
                },
                context
            )
            if result == 0 {
                pthread_detach(thread)
                return
            }
            guard result == EAGAIN, waited < 5_000_000 else {
                Unmanaged<Body>.fromOpaque(context).release()
                throw ThreadStartError(code: result)
            }
            if waited == 0 {
                // Rare enough to say so: a run that stalls afterwards shows where to look.
                FileHandle.standardError.write(
                    Data("outpost: pthread_create refused a thread (EAGAIN); retrying for up to 5 s\n".utf8)
                )
            }
            usleep(pause)
            waited += pause
            pause = min(pause * 2, 200_000)
        }
    }

    /// ``start(_:)`` for a caller with no way to report the failure (a deinit, a server's accept
    /// loop): the process stops with the reason rather than leave work that never runs.
    package static func startOrCrash(_ body: @escaping @Sendable () -> Void) {
        do {
            try start(body)
        } catch {
            fatalError("\(error)")
        }
    }

    /// The closure a new thread runs, boxed to pass through `pthread_create`'s context pointer.
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}

/// No thread could be made for work that needs one of its own.
package struct ThreadStartError: Error, CustomStringConvertible {
    /// The `pthread_create` error number.
    package var code: Int32

    package var description: String {
        "Cannot start a thread: \(String(cString: strerror(code))) (pthread_create error \(code)). "
            + "The process or the machine may have reached its limit of threads (ulimit -u, "
            + "/proc/sys/kernel/threads-max, a cgroup's pids.max)."
    }
}
