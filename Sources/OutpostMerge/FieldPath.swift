import OutpostCore

/// A position inside a row: member names and array indices, written `config.tools[2].name`.
///
/// The merge keeps one path and pushes and pops segments as it walks, so the text form is
/// built only for the fields it reports.
struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    enum Segment: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    private(set) var segments: [Segment] = []

    init() {
        segments.reserveCapacity(8)
    }

    /// Parses a dotted path of member names (`config.retry.count`); indices are not written.
    init(dotted text: String) {
        segments = text.split(separator: ".", omittingEmptySubsequences: false).map { .key(String($0)) }
    }

    mutating func append(_ segment: Segment) {
        segments.append(segment)
    }

    mutating func removeLast() {
        segments.removeLast()
    }

    /// The value at this path in `document`, or `nil` when a member or element is missing.
    func value(in document: JSONValue?) -> JSONValue? {
        var current = document
        for segment in segments {
            switch (segment, current) {
            case (.key(let key), .object(let members)?): current = members[key]
            case (.index(let index), .array(let elements)?) where elements.indices.contains(index):
                current = elements[index]
            default: return nil
            }
        }
        return current
    }

    /// `config.tools[2].name`; the whole row is the empty string.
    var description: String {
        var text = ""
        for segment in segments {
            switch segment {
            case .key(let key):
                if !text.isEmpty { text.append(".") }
                text.append(key)
            case .index(let index):
                text.append("[\(index)]")
            }
        }
        return text
    }
}
