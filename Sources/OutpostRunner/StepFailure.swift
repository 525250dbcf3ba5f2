public import OutpostCore

/// A step's try failed: why, and what it produced before failing (a command's output, an
/// HTTP answer), which the step's result keeps.
public struct StepFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var output: JSONValue?

    public init(_ reason: String, output: JSONValue? = nil) {
        self.reason = reason
        self.output = output
    }

    public var description: String { reason }
}
