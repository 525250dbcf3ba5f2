public import OutpostCore

/// Which fields a rule covers: a dotted path of member names where `*` stands for any name.
///
/// - `status` covers the top-level member `status` (and the elements of an array there).
/// - `config.*` covers every member below `config`, at any depth, but not `config` itself.
/// - `steps.*.timeout` covers `timeout` in every member of `steps`; a `*` inside a pattern
///   stands for exactly one name.
/// - `*` covers every field.
///
/// Array indices are transparent: `definition.steps.name` covers `definition.steps[3].name`.
///
/// ```swift
/// let pattern = try FieldPattern("config.*")
/// ```
public struct FieldPattern: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    enum Segment: Hashable, Sendable {
        case name(String)
        case anyName
    }

    /// The pattern as written.
    public let text: String
    let segments: [Segment]

    /// Parses a pattern.
    ///
    /// - Throws: ``OutpostError`` with code `.invalidInput` when the pattern is empty, has an
    ///   empty segment (`a..b`), or uses `*` or brackets inside a name (`conf*`, `a[0]`).
    public init(_ text: String) throws(OutpostError) {
        guard !text.isEmpty else {
            throw OutpostError(.invalidInput, "empty field pattern; write a field name such as 'status', or '*'")
        }
        var segments: [Segment] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            if part == "*" {
                segments.append(.anyName)
            } else if part.isEmpty {
                throw OutpostError(
                    .invalidInput,
                    "field pattern '\(text)' has an empty segment; separate names with single dots"
                )
            } else if part.contains(where: { $0 == "*" || $0 == "[" || $0 == "]" }) {
                throw OutpostError(
                    .invalidInput,
                    "field pattern '\(text)' uses '*' or brackets inside a name; "
                        + "'*' must stand alone between dots (config.*) and indices are not written"
                )
            } else {
                segments.append(.name(String(part)))
            }
        }
        self.text = text
        self.segments = segments
    }

    /// A pattern written in code; an invalid literal is a programming error and traps.
    public init(stringLiteral text: String) {
        do {
            try self.init(text)
        } catch {
            preconditionFailure("invalid field pattern literal: \(error.message)")
        }
    }

    /// How many names the pattern spells out; a rule with a more specific pattern wins a tie
    /// on weight.
    public var specificity: Int {
        segments.count { if case .name = $0 { true } else { false } }
    }

    /// Whether the pattern covers `path`.
    func matches(_ path: FieldPath) -> Bool {
        var position = 0
        for segment in path.segments {
            guard case .key(let key) = segment else { continue }
            if position == segments.count {
                // Deeper than the pattern: only a trailing `*` reaches down.
                return segments.last == .anyName
            }
            if case .name(let name) = segments[position], name != key { return false }
            position += 1
        }
        return position == segments.count
    }

    public var description: String { text }
}
