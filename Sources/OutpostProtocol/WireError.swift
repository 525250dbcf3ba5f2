/// A wire body that is valid JSON but not the expected shape: which member, and what was wanted.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the body, e.g. `changes[3].base_version`.
    public var path: String
    /// What should have been there, e.g. `an integer`.
    public var expected: String

    public init(path: String, expected: String) {
        self.path = path
        self.expected = expected
    }

    public var description: String {
        path.isEmpty ? "The body must be \(expected)." : "\(path) must be \(expected)."
    }
}
