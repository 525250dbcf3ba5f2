import Foundation

extension JSONValue {
    /// Formatting of ``encoded(_:)``.
    public enum Formatting: Sendable {
        /// One line, keys sorted: the form stored in the database and sent on the wire.
        case compact
        /// Keys sorted, two-space indentation, trailing newline: stable, reviewable files.
        case pretty
    }

    /// The canonical JSON text of this value: object keys sorted, so equal values give equal text.
    public func encoded(_ formatting: Formatting = .compact) -> String {
        var output = ""
        switch formatting {
        case .compact:
            write(to: &output, indent: nil, depth: 0)
        case .pretty:
            write(to: &output, indent: "  ", depth: 0)
            output.append("\n")
        }
        return output
    }

    /// The length in bytes of ``encoded(_:)`` in compact form, counted without building it.
    public var encodedByteCount: Int {
        switch self {
        case .null: 4
        case .bool(let value): value ? 4 : 5
        case .integer(let value): String(value).utf8.count
        case .double(let value): Self.format(value).utf8.count
        case .string(let value): Self.encodedByteCount(of: value)
        case .array(let elements): 2 + max(0, elements.count - 1) + elements.reduce(0) { $0 + $1.encodedByteCount }
        case .object(let members):
            2 + max(0, members.count - 1)
                + members.reduce(0) { $0 + Self.encodedByteCount(of: $1.key) + 1 + $1.value.encodedByteCount }
        }
    }

    private static func encodedByteCount(of string: String) -> Int {
        var count = 2
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}": count += 2
            case let control where control.value < 0x20: count += 6
            default: count += UTF8.width(scalar)
            }
        }
        return count
    }

    private func write(to output: inout String, indent: String?, depth: Int) {
        switch self {
        case .null: output.append("null")
        case .bool(let value): output.append(value ? "true" : "false")
        case .integer(let value): output.append(String(value))
        case .double(let value): output.append(Self.format(value))
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            guard !elements.isEmpty else {
                output.append("[]")
                return
            }
            output.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(",") }
                Self.newline(&output, indent: indent, depth: depth + 1)
                element.write(to: &output, indent: indent, depth: depth + 1)
            }
            Self.newline(&output, indent: indent, depth: depth)
            output.append("]")
        case .object(let members):
            guard !members.isEmpty else {
                output.append("{}")
                return
            }
            output.append("{")
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output.append(",") }
                Self.newline(&output, indent: indent, depth: depth + 1)
                Self.writeString(key, to: &output)
                output.append(indent == nil ? ":" : ": ")
                members[key]!.write(to: &output, indent: indent, depth: depth + 1)
            }
            Self.newline(&output, indent: indent, depth: depth)
            output.append("}")
        }
    }

    private static func newline(_ output: inout String, indent: String?, depth: Int) {
        guard let indent else { return }
        output.append("\n")
        for _ in 0..<depth { output.append(indent) }
    }

    private static func format(_ value: Double) -> String {
        // JSON has no NaN or infinity; the parser never produces them, so encode them as null.
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.1f", value) }
        return "\(value)"
    }

    private static func writeString(_ value: String, to output: inout String) {
        output.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output.append("\\\"")
            case "\\": output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case "\u{08}": output.append("\\b")
            case "\u{0C}": output.append("\\f")
            case let control where control.value < 0x20:
                output.append("\\u")
                let hex = String(control.value, radix: 16)
                output.append(String(repeating: "0", count: 4 - hex.count) + hex)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output.append("\"")
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
