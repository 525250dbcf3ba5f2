import OutpostCore
import Testing

@testable import OutpostProtocol

@Suite("Pull answers read in one pass")
struct PullResponseParsingTests {
    /// Reads `text` both ways: piece by piece, and as a tree then decoded.
    private static func bothWays(_ text: String) throws -> (parsed: PullResponse, viaTree: PullResponse) {
        (try PullResponse(parsing: Array(text.utf8)), try PullResponse(json: JSONValue(parsing: text)))
    }

    @Test(
        "an answer reads as the tree decodes it: spacing, escapes, tombstones, rows that left, relays' change ids, members a newer hub adds",
        arguments: [
            #"{"rows": [], "cursor": 0, "more": false}"#,
            #"{"rows":[],"cursor":7,"more":true,"epoch":null,"head":null}"#,
            """
            { "rows" : [ { "table" : "agents", "key" : "a\\u00e9\\n", "version" : 3,
              "data" : { "name" : "A \\"one\\"", "tags" : ["x", {"y": [1, 2.5, -3e2]}], "n" : null },
              "deleted" : false, "hlc" : 117676184251465001, "origin" : "node-1", "sequence" : 41 } ],
              "cursor" : 41, "more" : false, "epoch" : 6120836195716427781, "head" : 57 }
            """,
            #"{"rows":[{"table":"t","key":"k","version":2,"data":null,"deleted":true,"hlc":1,"origin":"o","sequence":3,"left":true}],"cursor":3,"more":false}"#,
            #"{"rows":[{"table":"t","key":"k","version":2,"deleted":true,"hlc":1,"origin":"o","sequence":3,"left":null}],"cursor":3,"more":false}"#,
            #"{"rows":[{"table":"t","key":"k","version":1,"data":{},"deleted":false,"hlc":1,"origin":"o","sequence":3,"change_id":"c-9"}],"cursor":3,"more":false}"#,
            #"{"rows":[{"table":"t","key":"k","version":1,"data":{"a":1},"deleted":false,"hlc":1,"origin":"o","sequence":3,"change_id":5,"shard":{"x":[1]}}],"cursor":3,"more":false,"note":"new"}"#,
        ]
    )
    func agreesWithTheTree(text: String) throws {
        let (parsed, viaTree) = try Self.bothWays(text)
        #expect(parsed == viaTree)
        #expect(parsed.rows.map(\.changeID) == viaTree.rows.map(\.changeID))
    }

    @Test("each row's data text is the answer's own text of it, and parses to the row's values")
    func dataTextIsTheAnswersText() throws {
        let text =
            #"{"rows":[{"table":"t","key":"k","version":1,"data": {"b": [1, 2], "a": "x\u0041"} ,"deleted":false,"hlc":1,"origin":"o","sequence":3},{"table":"t","key":"gone","version":2,"data":null,"deleted":true,"hlc":2,"origin":"o","sequence":4}],"cursor":4,"more":false}"#
        let answer = try PullResponse(parsing: Array(text.utf8))
        #expect(answer.rows[0].dataText == #"{"b": [1, 2], "a": "x\u0041"}"#)
        #expect(try JSONValue(parsing: answer.rows[0].dataText ?? "") == answer.rows[0].data)
        #expect(answer.rows[0].data == ["a": "xA", "b": [1, 2]])
        #expect(answer.rows[1].dataText == nil && answer.rows[1].data == nil)
    }

    @Test("many random rows read the same both ways")
    func randomRowsAgree() throws {
        var random = SplitMix64(seed: 20)
        let alphabet = Array(#"aé"\/😀 b"#) + ["\n", "\t", "\u{1}"]
        func word() -> String {
            String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
        }
        var rows: [HubRow] = []
        for index in 0..<300 {
            let deleted = index % 7 == 0
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...9, using: &random) {
                members[word()] =
                    switch Int.random(in: 0..<5, using: &random) {
                    case 0: .string(word())
                    case 1: .integer(Int64.random(in: Int64.min...Int64.max, using: &random))
                    case 2: .double(Double.random(in: -1e6...1e6, using: &random))
                    case 3: .array([.string(word()), .bool(true), .null])
                    default: .object([word(): .integer(1)])
                    }
            }
            rows.append(
                HubRow(
                    table: "t\(index % 3)",
                    key: word(),
                    version: Int64(index + 1),
                    data: deleted ? nil : .object(members),
                    deleted: deleted,
                    hlc: Int64.random(in: 0...Int64.max, using: &random),
                    origin: word(),
                    sequence: Int64(index + 10),
                    left: deleted && index % 2 == 0
                )
            )
        }
        let answer = PullResponse(rows: rows, cursor: 309, more: true, epoch: -5, head: 400)
        let (parsed, viaTree) = try Self.bothWays(answer.json.encoded())
        #expect(parsed == answer)
        #expect(viaTree == answer)
        for row in parsed.rows where !row.deleted {
            #expect(try JSONValue(parsing: row.dataText ?? "") == row.data)
        }
    }

    @Test(
        "an answer of the wrong shape names the member and what it should be",
        arguments: [
            (#"{"cursor": 1, "more": false}"#, "rows must be an array."),
            (#"{"rows": {}, "cursor": 1, "more": false}"#, "rows must be an array."),
            (#"{"rows": [], "cursor": "1", "more": false}"#, "cursor must be an integer."),
            (#"{"rows": [], "cursor": 1}"#, "more must be true or false."),
            (#"{"rows": [], "cursor": 1, "more": false, "epoch": 1.5}"#, "epoch must be an integer."),
            (#"{"rows": [7], "cursor": 1, "more": false}"#, "rows[0] must be an object."),
            (
                #"{"rows": [{"table":"t","key":"k","data":null,"deleted":true,"hlc":1,"origin":"o","sequence":3}], "cursor": 1, "more": false}"#,
                "rows[0].version must be an integer."
            ),
            (
                #"{"rows": [{"table":"t","key":"k","version":1,"data":"{}","deleted":false,"hlc":1,"origin":"o","sequence":3}], "cursor": 1, "more": false}"#,
                "rows[0].data must be an object or null."
            ),
            (
                #"{"rows": [{"table":"t","key":"k","version":1,"data":{},"deleted":"no","hlc":1,"origin":"o","sequence":3}], "cursor": 1, "more": false}"#,
                "rows[0].deleted must be true or false."
            ),
            (
                #"{"rows": [{"table":"t","key":"k","version":1,"data":{},"deleted":false,"hlc":1,"origin":"o"}], "cursor": 1, "more": false}"#,
                "rows[0].sequence must be an integer."
            ),
            ("[]", "The body must be an object."),
        ]
    )
    func namesTheMember(text: String, message: String) throws {
        #expect {
            _ = try PullResponse(parsing: Array(text.utf8))
        } throws: { error in
            (error as? WireError)?.description == message
        }
    }

    @Test(
        "text that is not one JSON document is refused as the tree parser refuses it",
        arguments: [
            #"{"rows": [], "cursor": 1, "more": false} x"#,
            #"{"rows": [], "cursor": 1, "more": false, "cursor": 2}"#,
            #"{"rows": [{"table":"t","key":"k","version":1,"data":{"a":1,"a":2},"deleted":false,"hlc":1,"origin":"o","sequence":3}], "cursor": 1, "more": false}"#,
            #"{"rows": [{"table":"t","table":"u","key":"k","version":1,"data":{},"deleted":false,"hlc":1,"origin":"o","sequence":3}], "cursor": 1, "more": false}"#,
            #"{"rows": [{"table":"t","key":"k","version":1,"data":{"a":"\x"},"deleted":false,"hlc":1,"origin":"o","sequence":3}], "cursor": 1, "more": false}"#,
            #"{"rows": [], "cursor": 1, "more": false, "x": [01]}"#,
            #"{"rows": [], "cursor": 1, "more": fals"#,
            "",
        ]
    )
    func refusesWhatIsNotJSON(text: String) throws {
        #expect(throws: OutpostError.self) { _ = try JSONValue(parsing: text) }
        #expect(throws: OutpostError.self) { _ = try PullResponse(parsing: Array(text.utf8)) }
    }

    @Test("rows are equal by their values, whatever text carried their data")
    func equalityIgnoresTheText() {
        let row = HubRow(
            table: "t",
            key: "k",
            version: 1,
            data: ["a": 1],
            deleted: false,
            hlc: 1,
            origin: "o",
            sequence: 3
        )
        var spaced = row
        spaced.dataText = #"{ "a" : 1 }"#
        #expect(spaced == row)
        spaced.data = ["a": 2]
        #expect(spaced != row)
    }
}
