import Foundation
import Testing

@testable import OutpostCore

@Suite("JSON values")
struct JSONValueTests {
    @Test("parses every JSON type and keeps integers apart from doubles")
    func parsesAllTypes() throws {
        let value = try JSONValue(
            parsing: #"{"a": 1, "b": 1.5, "c": "x\n\u00e9\ud83d\ude00", "d": [true, false, null], "e": {}}"#
        )
        #expect(value["a"] == .integer(1))
        #expect(value["b"] == .double(1.5))
        #expect(value["c"] == .string("x\né😀"))
        #expect(value["d"] == .array([.bool(true), .bool(false), .null]))
        #expect(value["e"] == .object([:]))
    }

    @Test(
        "refuses malformed JSON with its line and column",
        arguments: [
            (#"{"a": }"#, 1, 7),
            ("{\n  \"a\": 1,\n  \"b\": tru\n}", 3, 8),
            (#"[1, 2"#, 1, 6),
            (#"{"a": 1} x"#, 1, 10),
            (#"{"a": 1, "a": 2}"#, 1, 10),
            (#"01"#, 1, 2),
            (#""unterminated"#, 1, 14),
        ]
    )
    func refusesMalformed(text: String, line: Int, column: Int) {
        #expect {
            _ = try JSONValue(parsing: text)
        } throws: { error in
            guard let error = error as? OutpostError else { return false }
            return error.code == .invalidJSON && error.details["line"] == "\(line)"
                && error.details["column"] == "\(column)" && error.message.contains("line \(line)")
        }
    }

    @Test("refuses nesting deeper than the limit instead of overflowing the stack")
    func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: OutpostError.self) { try JSONValue(parsing: deep) }
    }

    @Test("encodes canonically: sorted keys, so equal values give equal text")
    func encodesCanonically() throws {
        let first = try JSONValue(parsing: #"{"b": [1, 2.5, "q\""], "a": {"z": null, "y": true}}"#)
        let second = try JSONValue(parsing: #"{"a": {"y": true, "z": null}, "b": [1, 2.5, "q\""]}"#)
        #expect(first.encoded() == second.encoded())
        #expect(first.encoded() == #"{"a":{"y":true,"z":null},"b":[1,2.5,"q\""]}"#)
        #expect(try JSONValue(parsing: first.encoded()) == first)
        #expect(try JSONValue(parsing: first.encoded(.pretty)) == first)
        #expect(first.encoded(.pretty).hasSuffix("}\n"))
    }

    @Test("round-trips control characters and whole-number doubles")
    func roundTrips() throws {
        let value: JSONValue = ["text": .string("tab\tnul\u{01}"), "double": .double(2), "big": .integer(Int64.max)]
        #expect(try JSONValue(parsing: value.encoded()) == value)
    }

    @Test("whole doubles print as %.1f prints them, -0.0 included; other values round-trip")
    func doubleText() throws {
        var generator = SystemRandomNumberGenerator()
        var wholes: [Double] = [0, -0.0, 1, -1, 42, 1e14, -1e14, 999_999_999_999_999, -999_999_999_999_999]
        for _ in 0..<500 {
            wholes.append(Double(Int64.random(in: -999_999_999_999_999...999_999_999_999_999, using: &generator)))
        }
        for value in wholes {
            #expect(JSONValue.double(value).encoded() == String(format: "%.1f", value), "\(value)")
        }
        for value in [0.1, -2.5, 1e300, 1e15, -1e16, 3.141_592_653_589_793] {
            #expect(try JSONValue(parsing: JSONValue.double(value).encoded()) == .double(value))
        }
    }

    @Test("strings with and without characters to escape encode as JSON requires")
    func stringEscapes() throws {
        for text in ["plain", "", "zażółć 🧭", "quote \" and \\ backslash", "line\nbreak\ttab", "\u{1}\u{1f}"] {
            let encoded = JSONValue.string(text).encoded()
            #expect(try JSONValue(parsing: encoded) == .string(text))
            #expect(encoded.utf8.allSatisfy { $0 >= 0x20 }, "no raw control character in \(encoded)")
        }
        #expect(JSONValue.string("a\"b").encoded() == #""a\"b""#)
        #expect(JSONValue.object(["b": 1, "a": ["c": "x"]]).encoded() == #"{"a":{"c":"x"},"b":1}"#)
    }
}
