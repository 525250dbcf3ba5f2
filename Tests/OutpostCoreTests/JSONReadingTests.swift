import Testing

@testable import OutpostCore

@Suite("JSON read piece by piece")
struct JSONReadingTests {
    /// Whether skipping the document's value succeeds, and the span it reports.
    static func skip(_ text: String) -> JSONSpan? {
        var parser = JSONParser(Array(text.utf8))
        guard let span = try? parser.skipValue(), (try? parser.finish()) != nil else { return nil }
        return span
    }

    static func parses(_ text: String) -> Bool {
        (try? JSONValue(parsing: text)) != nil
    }

    @Test(
        "skipping accepts and refuses exactly what parsing does",
        arguments: [
            #"{"a": 1, "b": [true, false, null], "c": {"d": "e\n\u00e9\ud83d\ude00"}}"#, "-0", "0", "-12.5e-3",
            "123456789012345678", "12345678901234567890", "1e999", "00", "-", "1.", "1e", "-01", "[1,]", "[,1]",
            "{,}", #"{"a" 1}"#, #"{"a": 1,}"#, #"{"a": {"b": 1, "b": 2}}"#, #"["\x"]"#, #""\ud800""#,
            #""\ud800\u0041""#, "\"tab\there\"", "tru", "nul", "[1 2]", #"{"a":1}{"#, " [ ] ", "\"\\u0000\"",
        ]
    )
    func agreesWithParsing(text: String) {
        #expect((Self.skip(text) != nil) == Self.parses(text), "\(text)")
    }

    @Test("refuses a name given twice in a large object, as parsing does")
    func duplicateInLargeObject() {
        let members = (0..<40).map { "\"m\($0)\": \($0)" } + ["\"m7\": 0"]
        let text = "{" + members.joined(separator: ", ") + "}"
        #expect(Self.skip(text) == nil)
        #expect(!Self.parses(text))
    }

    @Test("reports U+0000 anywhere in the value, names included")
    func findsNullCharacters() {
        #expect(Self.skip(#"{"a": ["x", "y\u0000"]}"#)?.containsNullCharacter == true)
        #expect(Self.skip(#"{"a\u0000": 1}"#)?.containsNullCharacter == true)
        #expect(Self.skip(#"{"a": "\\u0000"}"#)?.containsNullCharacter == false)
    }

    @Test("reports numbers written with an exponent or more than 32 characters")
    func findsUnusualNumbers() {
        #expect(Self.skip(#"{"a": [1, 2.5, -0.75, 123456789012345678901]}"#)?.containsUnusualNumber == false)
        #expect(Self.skip(#"{"a": {"b": 1e-20000}}"#)?.containsUnusualNumber == true)
        #expect(Self.skip("2E5")?.containsUnusualNumber == true)
        #expect(Self.skip("0." + String(repeating: "1", count: 30))?.containsUnusualNumber == false)
        #expect(Self.skip("0." + String(repeating: "1", count: 31))?.containsUnusualNumber == true)
    }

    @Test("walks an object member by member, keeping each value's exact text")
    func walksMembers() throws {
        let text = #" { "name" : "Cam \"1\"" , "config": {"fps": 30, "zones": ["a"]}, "on": true } "#
        var parser = JSONParser(Array(text.utf8))
        #expect(try parser.peekKind() == .object)
        parser.beginObject()
        var first = true
        var members: [(String, String)] = []
        while let name = try parser.nextMember(first: &first) {
            let span = try parser.skipValue()
            members.append((name, parser.text(span.range)))
        }
        try parser.finish()
        #expect(members.map(\.0) == ["name", "config", "on"])
        #expect(members.map(\.1) == [#""Cam \"1\"""#, #"{"fps": 30, "zones": ["a"]}"#, "true"])
    }

    @Test("random documents, whole and with one byte changed: skipping agrees with parsing")
    func randomDocuments() {
        var random = SplitMix64(seed: 42)
        var disagreements: [String] = []
        for _ in 0..<2_000 {
            let value = Self.randomValue(depth: 0, using: &random)
            let text = value.encoded(Bool.random(using: &random) ? .pretty : .compact)
            // Pretty text ends with a newline, which is not part of the value.
            let valueBytes = text.utf8.count - (text.hasSuffix("\n") ? 1 : 0)
            if Self.skip(text)?.range != 0..<valueBytes { disagreements.append(text) }
            var bytes = Array(text.utf8)
            let place = Int.random(in: 0..<bytes.count, using: &random)
            let replacements = Array(#"{}[],:"\ 0-.eE"#.utf8)
            bytes[place] = replacements.randomElement(using: &random)!
            let mutated = String(decoding: bytes, as: UTF8.self)
            if (Self.skip(mutated) != nil) != Self.parses(mutated) { disagreements.append(mutated) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(3))")
    }

    static func randomValue(depth: Int, using random: inout SplitMix64) -> JSONValue {
        let pick = Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &random))
        case 3: return .double(Double.random(in: -1e6...1e6, using: &random))
        case 4:
            let characters = Array("ab \"\\/\n\té😀\u{1}")
            return .string(
                String(
                    (0..<Int.random(in: 0..<8, using: &random)).map { _ in characters.randomElement(using: &random)! }
                )
            )
        case 5:
            return .array(
                (0..<Int.random(in: 0..<4, using: &random)).map { _ in randomValue(depth: depth + 1, using: &random) }
            )
        default:
            var members: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0..<4, using: &random) {
                members["k\(index)"] = randomValue(depth: depth + 1, using: &random)
            }
            return .object(members)
        }
    }
}
