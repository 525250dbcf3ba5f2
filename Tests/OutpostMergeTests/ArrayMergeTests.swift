import OutpostCore
import OutpostMerge
import Testing

@Suite("Three-way merge of arrays")
struct ArrayMergeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let base: String?
        let local: String
        let remote: String
        let newer: Newer
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "additions on both sides at different places are all kept",
            base: "[1, 2, 3]",
            local: "[0, 1, 2, 3]",
            remote: "[1, 2, 3, 4]",
            newer: .remote,
            expected: "[0, 1, 2, 3, 4]"
        ),
        Case(
            name: "a removal on one side is not resurrected by the other",
            base: "[1, 2, 3]",
            local: "[1, 3]",
            remote: "[1, 2, 3, 4]",
            newer: .remote,
            expected: "[1, 3, 4]"
        ),
        Case(
            name: "removals on both sides are all applied",
            base: #"["a", "b", "c", "d"]"#,
            local: #"["b", "c", "d"]"#,
            remote: #"["a", "b", "c"]"#,
            newer: .local,
            expected: #"["b", "c"]"#
        ),
        Case(
            name: "a move on one side is kept",
            base: #"["a", "b", "c"]"#,
            local: #"["b", "c", "a"]"#,
            remote: #"["a", "b", "c", "d"]"#,
            newer: .remote,
            expected: #"["b", "c", "a", "d"]"#
        ),
        Case(
            name: "concurrent insertions at the same place keep both, older write first (remote newer)",
            base: "[1, 9]",
            local: "[1, 2, 9]",
            remote: "[1, 3, 9]",
            newer: .remote,
            expected: "[1, 2, 3, 9]"
        ),
        Case(
            name: "concurrent insertions at the same place keep both, older write first (local newer)",
            base: "[1, 9]",
            local: "[1, 2, 9]",
            remote: "[1, 3, 9]",
            newer: .local,
            expected: "[1, 3, 2, 9]"
        ),
        Case(
            name: "the same insertion on both sides is kept once",
            base: "[1, 9]",
            local: "[1, 2, 5, 9]",
            remote: "[1, 2, 9]",
            newer: .remote,
            expected: "[1, 2, 5, 9]"
        ),
        Case(
            name: "an insertion next to a removal of the same stretch keeps the insertion only",
            base: "[1, 2, 3]",
            local: "[1, 7, 2, 3]",
            remote: "[1, 3]",
            newer: .remote,
            expected: "[1, 7, 3]"
        ),
        Case(
            name: "an element edited on both sides merges inside it",
            base: #"[{"id": "s1", "timeout": 30, "name": "fetch"}, {"id": "s2"}]"#,
            local: #"[{"id": "s1", "timeout": 60, "name": "fetch"}, {"id": "s2"}]"#,
            remote: #"[{"id": "s1", "timeout": 30, "name": "download"}, {"id": "s2"}, {"id": "s3"}]"#,
            newer: .local,
            expected: #"[{"id": "s1", "timeout": 60, "name": "download"}, {"id": "s2"}, {"id": "s3"}]"#
        ),
        Case(
            name: "a scalar replaced differently on both sides goes to the newer write",
            base: "[1, 2, 3]",
            local: "[1, 20, 3]",
            remote: "[1, 200, 3]",
            newer: .local,
            expected: "[1, 20, 3]"
        ),
        Case(
            name: "with no base, the result is the union in order",
            base: nil,
            local: #"{"t": ["a", "b", "d"]}"#,
            remote: #"{"t": ["a", "c", "d"]}"#,
            newer: .remote,
            expected: #"{"t": ["a", "b", "c", "d"]}"#
        ),
        Case(
            name: "an emptied array against an addition keeps the addition only",
            base: "[1, 2]",
            local: "[]",
            remote: "[1, 2, 3]",
            newer: .local,
            expected: "[3]"
        ),
    ]

    @Test("merges", arguments: cases)
    func merges(_ example: Case) {
        let wrap = { (text: String) in #"{"list": \#(text)}"# }
        let isWrapped = example.local.hasPrefix("{")
        let input = conflict(
            base: example.base.map { isWrapped ? $0 : wrap($0) },
            local: isWrapped ? example.local : wrap(example.local),
            remote: isWrapped ? example.remote : wrap(example.remote),
            newer: example.newer
        )
        let expected = json(isWrapped ? example.expected : wrap(example.expected))
        #expect(plainResolver().resolve(input).value == expected)
        #expect(plainResolver().resolve(input.swapped).value == expected)
    }

    @Test("a clean array merge is reported as merged with high confidence")
    func reportsCleanMerge() {
        let resolution = plainResolver().resolve(
            conflict(base: #"{"t": [1, 2]}"#, local: #"{"t": [0, 1, 2]}"#, remote: #"{"t": [1, 2, 3]}"#)
        )
        #expect(resolution.fieldActions.count == 1)
        #expect(resolution.fieldActions[0].path == "t")
        #expect(resolution.fieldActions[0].action == .merged)
        #expect(resolution.fieldActions[0].confidence >= 0.9)
        #expect(!resolution.needsApproval)
    }

    @Test("pairwise element merges report the element paths after the array")
    func reportsElementPaths() {
        let resolution = plainResolver().resolve(
            conflict(
                base: #"{"steps": [{"a": 1, "b": 1}]}"#,
                local: #"{"steps": [{"a": 2, "b": 1}]}"#,
                remote: #"{"steps": [{"a": 1, "b": 2}]}"#
            )
        )
        #expect(resolution.fieldActions.map(\.path) == ["steps", "steps[0].a", "steps[0].b"])
    }

    @Test(
        "overlapping edits are reported by kind, with less confidence than clean ones",
        arguments: [
            ("[1, 2, 5, 9]", "[1, 2, 6, 9]", "both added elements at the same place", 0.85),
            ("[1, 7, 2, 9]", "[1, 9]", "both edited the same stretch", 0.75),
            ("[0, 1, 2, 9]", "[1, 2, 9, 10]", "merged element by element", 0.95),
        ]
    )
    func reportsOverlapKind(local: String, remote: String, reason: String, confidence: Double) {
        let resolution = plainResolver().resolve(
            conflict(base: #"{"t": [1, 2, 9]}"#, local: #"{"t": \#(local)}"#, remote: #"{"t": \#(remote)}"#)
        )
        #expect(resolution.fieldActions.first?.reason.hasPrefix(reason) == true)
        #expect(resolution.fieldActions.first?.confidence == confidence)
    }
}
