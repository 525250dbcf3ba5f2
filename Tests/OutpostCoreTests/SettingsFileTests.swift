import OutpostCore
import Testing

@Suite("Settings files")
struct SettingsFileTests {
    @Test("sections, comments and every kind of value are read with their lines")
    func readsValues() throws {
        let text = """
            # a node's settings
            json = true

            [run]                       # the daemon
            bandwidth = "64k"           # quoted text
            max-runs = 2
            rate = 1.5
            path = 'C:\\raw'
            attr = ["site=berlin", "line=3",]
            note = "say \\"hi\\"\\tthen\\\\go"

            [files.get]
            big_number = 1_000
            """
        let file = try SettingsFile.parse(text, path: "t.toml")
        let found = file.entries.map { "\($0.section.joined(separator: "."))|\($0.key)|\($0.line)" }
        #expect(
            found == [
                "|json|2", "run|bandwidth|5", "run|max-runs|6", "run|rate|7", "run|path|8", "run|attr|9",
                "run|note|10", "files.get|big_number|13",
            ]
        )
        let values = Dictionary(uniqueKeysWithValues: file.entries.map { ($0.key, $0.value) })
        #expect(values["json"] == .bool(true))
        #expect(values["bandwidth"] == .string("64k"))
        #expect(values["max-runs"] == .integer(2))
        #expect(values["rate"] == .decimal(1.5))
        #expect(values["path"] == .string("C:\\raw"))
        #expect(values["attr"]?.arguments == ["site=berlin", "line=3"])
        #expect(values["note"] == .string("say \"hi\"\tthen\\go"))
        #expect(values["big_number"] == .integer(1000))
    }

    @Test("what it cannot read is refused with the file, the line and the reason")
    func refusals() {
        let cases: [(String, Int, String)] = [
            ("[run]\nbandwidth = 64k", 2, "is not a value"),
            ("[run]\nbandwidth = \"64k", 2, "no closing"),
            ("a = 1\na = 2", 2, "set twice"),
            ("[run]\n[sync]\n[run]", 3, "appears twice"),
            ("[run\n", 1, "ends with ']'"),
            ("just words", 1, "expected '='"),
            ("= 3", 1, "expected `option-name = value`"),
            ("a = [[1]]", 1, "do not nest"),
            ("a = [1 2]", 1, "separated by ','"),
            ("a = \"x\" trailing", 1, "unexpected text"),
            ("a = \"\\q\"", 1, "unknown escape"),
            ("a =", 1, "missing"),
            ("[run] extra", 1, "nothing may follow"),
        ]
        for (text, line, reason) in cases {
            #expect {
                _ = try SettingsFile.parse(text, path: "/etc/x.toml")
            } throws: { error in
                guard let error = error as? OutpostError else { return false }
                return error.message.hasPrefix("/etc/x.toml:\(line): ") && error.message.contains(reason)
                    && error.details["line"] == String(line)
            }
        }
    }

    @Test("a missing file is not found, and an empty one holds nothing")
    func missingAndEmpty() throws {
        #expect(throws: OutpostError.self) { _ = try SettingsFile.read("/nonexistent/outpost.toml") }
        #expect(try SettingsFile.parse("\n# only a comment\n\n", path: "e").entries.isEmpty)
    }
}
