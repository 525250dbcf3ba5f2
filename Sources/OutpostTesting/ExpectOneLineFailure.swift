public import Testing

/// A failed command says one clear line on stderr and exits non-zero.
public func expectOneLineFailure(
    _ result: CommandResult,
    mentioning text: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(result.status != 0, "expected failure: \(result)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 1, "stderr should be one line: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(
        result.stderr.contains(text),
        "stderr should mention \(text): \(result.stderr)",
        sourceLocation: sourceLocation
    )
}
