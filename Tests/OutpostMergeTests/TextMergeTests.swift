import OutpostCore
import OutpostMerge
import Testing

@Suite("Three-way merge of multi-line text")
struct TextMergeTests {
    static let base = "line one\nline two\nline three\nline four"

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let local: String
        let remote: String
        let newer: Newer
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "edits to different lines both survive",
            local: "line ONE\nline two\nline three\nline four",
            remote: "line one\nline two\nline three\nline FOUR",
            newer: .remote,
            expected: "line ONE\nline two\nline three\nline FOUR"
        ),
        Case(
            name: "an added line and a removed line both apply",
            local: "line one\nline two\nline 2.5\nline three\nline four",
            remote: "line one\nline two\nline three",
            newer: .local,
            expected: "line one\nline two\nline 2.5\nline three"
        ),
        Case(
            name: "the same line changed differently goes to the newer write whole (remote)",
            local: "line one\nline 2 (local)\nline three\nline four\nlocal tail",
            remote: "line one\nline 2 (remote)\nline three\nline four",
            newer: .remote,
            expected: "line one\nline 2 (remote)\nline three\nline four"
        ),
        Case(
            name: "the same line changed differently goes to the newer write whole (local)",
            local: "line one\nline 2 (local)\nline three\nline four\nlocal tail",
            remote: "line one\nline 2 (remote)\nline three\nline four",
            newer: .local,
            expected: "line one\nline 2 (local)\nline three\nline four\nlocal tail"
        ),
    ]

    @Test("merges", arguments: cases)
    func merges(_ example: Case) {
        let input = Conflict(
            entityType: "notes",
            key: "n1",
            local: ["text": .string(example.local)],
            remote: ["text": .string(example.remote)],
            base: ["text": .string(Self.base)],
            localStamp: example.newer == .local ? newerStamp : olderStamp,
            remoteStamp: example.newer == .remote ? newerStamp : olderStamp
        )
        #expect(plainResolver().resolve(input).value == ["text": .string(example.expected)])
        #expect(plainResolver().resolve(input.swapped).value == ["text": .string(example.expected)])
    }

    @Test("colliding lines are reported as a collision settled by the newer write")
    func reportsCollision() {
        let resolution = plainResolver().resolve(
            Conflict(
                entityType: "notes",
                key: "n1",
                local: ["text": "a\nX"],
                remote: ["text": "a\nY"],
                base: ["text": "a\nb"],
                localStamp: olderStamp,
                remoteStamp: newerStamp
            )
        )
        let action = resolution.fieldActions.first
        #expect(action?.reason.hasPrefix("both changed the same lines") == true)
        #expect(action?.isCollision == true)
        #expect(action?.action == .remote)
    }

    @Test("single-line strings are values, not text: a collision goes to the newer write")
    func singleLineStrings() {
        let resolution = plainResolver().resolve(
            conflict(base: #"{"s": "abc"}"#, local: #"{"s": "abX"}"#, remote: #"{"s": "Xbc"}"#, newer: .local)
        )
        #expect(resolution.value == json(#"{"s": "abX"}"#))
    }
}
