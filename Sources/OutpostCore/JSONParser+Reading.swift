/// What kind of value comes next in a document being read piece by piece.
package enum JSONKind: Sendable, Equatable {
    case object, array, string, number, bool, null
}

/// Where a value lies in the input, validated but not built, with what a store may need to know
/// about it before keeping its text.
package struct JSONSpan: Sendable, Equatable {
    package var range: Range<Int>
    /// Whether a string in the value holds U+0000 (which PostgreSQL text cannot store).
    package var containsNullCharacter = false
    /// Whether a number in the value has an exponent or more than 32 characters: its text may
    /// stand for a value no `Double` holds (`1e-400`, 17,000 decimals), which PostgreSQL's
    /// `numeric` refuses.
    package var containsUnusualNumber = false
}

/// Reading a document piece by piece: a caller that knows the shape it expects walks objects and
/// arrays member by member, builds only the values it needs, and skips the rest after checking
/// them as strictly as ``parseDocument()`` would.
///
/// The hub reads pushes this way, keeping each row's columns as the text the node sent instead
/// of building a tree of values and encoding it again for the database.
extension JSONParser {
    /// The byte offset of the next unread input.
    package var offset: Int { index }

    /// The input between two offsets, as text.
    package func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// The kind of the next value, after any whitespace.
    package mutating func peekKind() throws(OutpostError) -> JSONKind {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw failure("unexpected character '\(Self.describe(bytes[index]))', expected a value")
        }
    }

    /// Consumes the `{` that opens an object; the caller has seen ``peekKind()`` say `.object`.
    package mutating func beginObject() {
        skipWhitespace()
        precondition(index < bytes.count && bytes[index] == UInt8(ascii: "{"), "beginObject() before an object")
        index += 1
    }

    /// The next member's name (its `:` consumed, the value next), or `nil` after the closing `}`.
    ///
    /// - Parameter first: `true` before the first member; the call sets it to `false`.
    package mutating func nextMember(first: inout Bool) throws(OutpostError) -> String? {
        skipWhitespace()
        if first {
            first = false
            if consume(UInt8(ascii: "}")) { return nil }
        } else if !consume(UInt8(ascii: ",")) {
            if consume(UInt8(ascii: "}")) { return nil }
            throw failure("expected ',' or '}' in object")
        }
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw failure("expected a quoted member name")
        }
        let name = try parseString()
        skipWhitespace()
        guard consume(UInt8(ascii: ":")) else { throw failure("expected ':' after member name") }
        skipWhitespace()
        return name
    }

    /// Consumes the `[` that opens an array; the caller has seen ``peekKind()`` say `.array`.
    package mutating func beginArray() {
        skipWhitespace()
        precondition(index < bytes.count && bytes[index] == UInt8(ascii: "["), "beginArray() before an array")
        index += 1
    }

    /// Whether another element follows (positioned at it), or `false` after the closing `]`.
    package mutating func nextElement(first: inout Bool) throws(OutpostError) -> Bool {
        skipWhitespace()
        if first {
            first = false
            return !consume(UInt8(ascii: "]"))
        }
        if consume(UInt8(ascii: ",")) {
            skipWhitespace()
            return true
        }
        if consume(UInt8(ascii: "]")) { return false }
        throw failure("expected ',' or ']' in array")
    }

    /// The next value, built.
    package mutating func readValue(depth: Int = 0) throws(OutpostError) -> JSONValue {
        skipWhitespace()
        return try parseValue(depth: depth)
    }

    /// Checks the next value as ``parseDocument()`` would (syntax, escapes, number range,
    /// duplicate names, nesting) without building it.
    package mutating func skipValue(depth: Int = 0) throws(OutpostError) -> JSONSpan {
        skipWhitespace()
        var span = JSONSpan(range: index..<index)
        try skip(depth: depth, into: &span)
        span.range = span.range.lowerBound..<index
        return span
    }

    /// Refuses anything but whitespace after the document.
    package mutating func finish() throws(OutpostError) {
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the JSON value") }
    }

    /// Skips one value, noting in `span` what ``JSONSpan`` reports.
    private mutating func skip(depth: Int, into span: inout JSONSpan) throws(OutpostError) {
        guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        switch try peekKind() {
        case .string:
            if try skipString() { span.containsNullCharacter = true }
        case .object:
            beginObject()
            var first = true
            var names = JSONMemberNames()
            while true {
                let before = index
                guard let name = try nextMember(first: &first) else { return }
                guard names.insert(name) else {
                    index = before
                    skipWhitespace()
                    _ = consume(UInt8(ascii: ","))
                    skipWhitespace()
                    throw failure("duplicate member name \"\(name)\"")
                }
                if name.utf8.contains(0) { span.containsNullCharacter = true }
                try skip(depth: depth + 1, into: &span)
            }
        case .array:
            beginArray()
            var first = true
            while try nextElement(first: &first) {
                try skip(depth: depth + 1, into: &span)
            }
        case .number:
            if try skipNumber() { span.containsUnusualNumber = true }
        case .bool, .null:
            _ = try parseValue(depth: depth)
        }
    }

    /// Skips a string, checking its escapes; returns whether it holds U+0000.
    private mutating func skipString() throws(OutpostError) -> Bool {
        index += 1
        var containsNull = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return containsNull
            }
            if byte < 0x20 { throw failure("control character in string; escape it") }
            index += 1
            if byte == UInt8(ascii: "\\") {
                containsNull = try parseEscape() == "\u{0}" || containsNull
            }
        }
        throw failure("unterminated string")
    }

    /// Skips a number, refusing what ``parseDocument()`` refuses (leading zeros, out of range);
    /// returns whether it is unusual (see ``JSONSpan/containsUnusualNumber``).
    private mutating func skipNumber() throws(OutpostError) -> Bool {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        let digitsStart = negative ? index + 1 : index
        var end = digitsStart
        while end < bytes.count, Self.isDigit(bytes[end]) { end += 1 }
        let plainInteger =
            end > digitsStart && end - digitsStart <= 18
            && (end == bytes.count || !Self.isNumberContinuation(bytes[end]))
            && (bytes[digitsStart] != UInt8(ascii: "0") || end - digitsStart == 1)
        if plainInteger {
            // Up to 18 digits always fits Int64: no need to convert it.
            index = end
            return false
        }
        index = start
        _ = try parseNumber()
        return index - start > 32
            || bytes[start..<index].contains { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    private static func isNumberContinuation(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }
}
