package import Testing

/// Waits for `condition` to hold, checking it every `interval`: the one way a test waits for
/// something another process or task makes true, instead of sleeping a guessed time.
///
/// ```swift
/// try await eventually("the change reaches B") { try b.rowCount() == 1 }
/// ```
///
/// - Parameters:
///   - timeout: how long before the test fails; 20 seconds by default.
///   - interval: the pause between checks; 50 ms by default.
/// - Throws: after recording an issue naming `what`, when `timeout` passes first.
package func eventually(
    _ what: String,
    timeout: Duration = .seconds(20),
    every interval: Duration = .milliseconds(50),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(try await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out after \(timeout) waiting until \(what)", sourceLocation: sourceLocation)
            throw EventuallyTimeout(what: what)
        }
        try await Task.sleep(for: interval)
    }
}

/// The error ``eventually(_:timeout:every:sourceLocation:_:)`` ends a test with.
package struct EventuallyTimeout: Error, CustomStringConvertible {
    package var what: String
    package var description: String { "timed out waiting until \(what)" }
}
