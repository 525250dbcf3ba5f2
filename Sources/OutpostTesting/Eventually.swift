package import Testing

/// Waits for `condition` to hold, checking it every `interval`: the one way a test waits for
/// something another process or task makes true, instead of sleeping a guessed time.
///
/// ```swift
/// try await eventually("the change reaches B") { try b.rowCount() == 1 }
/// ```
///
/// - Parameters:
///   - timeout: how long before the test fails; 20 seconds by default. A pause that overruns
///     by more than a second (the machine so loaded that this task waited for a thread) does
///     not count: a full test run on two cores has stalled every test for up to 25 s at once,
///     which is not the thing waited for being late.
///   - interval: the pause between checks; 50 ms by default.
/// - Throws: after recording an issue naming `what`, when `timeout` passes first.
package func eventually(
    _ what: String,
    timeout: Duration = .seconds(20),
    every interval: Duration = .milliseconds(50),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    var deadline = ContinuousClock.now + timeout
    while !(try await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out after \(timeout) waiting until \(what)", sourceLocation: sourceLocation)
            throw EventuallyTimeout(what: what)
        }
        let asleep = ContinuousClock.now
        try await Task.sleep(for: interval)
        let overrun = ContinuousClock.now - asleep - interval
        if overrun > .seconds(1) { deadline += overrun }
    }
}

/// The error ``eventually(_:timeout:every:sourceLocation:_:)`` ends a test with.
package struct EventuallyTimeout: Error, CustomStringConvertible {
    package var what: String
    package var description: String { "timed out waiting until \(what)" }
}
