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
        String(decoding: encodedBytes(formatting), as: UTF8.self)
    }

    /// ``encoded(_:)`` as UTF-8 bytes, without building a `String` on the way.
    public func encodedBytes(_ formatting: Formatting = .compact) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        switch formatting {
        case .compact:
            write(to: &output, indent: nil, depth: 0)
        case .pretty:
            write(to: &output, indent: 2, depth: 0)
            output.append(UInt8(ascii: "\n"))
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
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x09, 0x0A, 0x0C, 0x0D: count += 2
            case ..<0x20: count += 6
            default: count += 1
            }
        }
        return count
    }

    private func write(to output: inout [UInt8], indent: Int?, depth: Int) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value): output.append(contentsOf: Self.format(value).utf8)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            guard !elements.isEmpty else {
                output.append(contentsOf: "[]".utf8)
                return
            }
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.newline(&output, indent: indent, depth: depth + 1)
                element.write(to: &output, indent: indent, depth: depth + 1)
            }
            Self.newline(&output, indent: indent, depth: depth)
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else {
                output.append(contentsOf: "{}".utf8)
                return
            }
            output.append(UInt8(ascii: "{"))
            // Sorted as pairs: looking each value up again by its key cost a hash per member.
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.newline(&output, indent: indent, depth: depth + 1)
                Self.writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                if indent != nil { output.append(UInt8(ascii: " ")) }
                member.value.write(to: &output, indent: indent, depth: depth + 1)
            }
            Self.newline(&output, indent: indent, depth: depth)
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ output: inout [UInt8], indent: Int?, depth: Int) {
        guard let indent else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * depth))
    }

    private static func format(_ value: Double) -> String {
        // JSON has no NaN or infinity; the parser never produces them, so encode them as null.
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 {
            // What `%.1f` prints for a whole number, without Foundation's formatter; -0.0 keeps
            // its sign as `%.1f` does.
            let whole = "\(Int64(value)).0"
            return value == 0 && value.sign == .minus ? "-" + whole : whole
        }
        return "\(value)"
    }

    /// Appends `string` as a JSON string literal, for writers that splice JSON text together.
    package static func appendQuoted(_ string: String, to output: inout [UInt8]) {
        writeString(string, to: &output)
    }

    /// Quotes `value`, escaping what JSON requires; other UTF-8 bytes pass through as they are.
    private static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings need no escape at all: copy them whole. A native string's bytes are
        // scanned in place (through the UTF-8 view's iterator, the scan was a quarter of a
        // push's JSON encoding).
        let plain =
            value.utf8.withContiguousStorageIfAvailable { bytes in
                bytes.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            } ?? value.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if plain {
            value.utf8.withContiguousStorageIfAvailable { output.append(contentsOf: $0) }
                ?? output.append(contentsOf: value.utf8)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    hex[Int(byte >> 4)], hex[Int(byte & 0x0F)],
                ])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
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
