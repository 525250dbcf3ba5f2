import OutpostCore
import OutpostMerge
import Testing

@Suite("Field patterns")
struct FieldPatternTests {
    /// A rule with `pattern` decides a collision at `path` only when the pattern covers it.
    @Test(
        "cover the fields they name",
        arguments: [
            ("name", "name", true),
            ("name", "names", false),
            ("name", "config.name", false),
            ("config.*", "config.retry", true),
            ("config.*", "config.retry.count", true),
            ("config.*", "config", false),
            ("config.retry.count", "config.retry.count", true),
            ("config.retry.count", "config.retry", false),
            ("steps.*.timeout", "steps.s1.timeout", true),
            ("steps.*.timeout", "steps.s1.name", false),
            ("steps.*.timeout", "steps.s1", false),
            ("*", "anything", true),
            ("*", "deep.down.here", true),
            ("tags", "tags[1]", true),
            ("list.value", "list[0].value", true),
        ]
    )
    func covers(pattern: String, path: String, covered: Bool) throws {
        // Build a collision at `path` (local 1, remote 2, base 0) and a local-wins rule for `pattern`;
        // the remote write is newer, so the local value survives only if the rule applies.
        let names = path.filter { $0 != "]" }.split(separator: ".")
        func nest(_ leaf: JSONValue) -> JSONValue {
            names.reversed().reduce(leaf) { inner, name in
                let parts = name.split(separator: "[")
                if parts.count == 2, let index = Int(parts[1]) {
                    let elements = (0...index).map { $0 == index ? inner : JSONValue.integer(Int64($0)) }
                    return [String(parts[0]): .array(elements)]
                }
                return [String(name): inner]
            }
        }
        let input = Conflict(
            entityType: "things",
            key: "k",
            local: nest(1),
            remote: nest(2),
            base: nest(0),
            localStamp: olderStamp,
            remoteStamp: newerStamp
        )
        let resolved = resolver(rules: [Rule(field: try FieldPattern(pattern), action: .local)]).resolve(input)
        #expect(resolved.value == (covered ? nest(1) : nest(2)))
    }

    @Test(
        "refuse malformed patterns",
        arguments: ["", "a..b", ".a", "a.", "conf*", "a[0]", "*x"]
    )
    func refuses(pattern: String) {
        #expect(throws: OutpostError.self) { try FieldPattern(pattern) }
    }

    @Test("count the names they spell out as specificity", arguments: [("*", 0), ("config.*", 1), ("a.*.c", 2)])
    func specificity(pattern: String, expected: Int) throws {
        #expect(try FieldPattern(pattern).specificity == expected)
    }
}
