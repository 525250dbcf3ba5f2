import Foundation
import OutpostCore
import Testing

@testable import OutpostProtocol

@Suite("Wire coding")
struct WireCodingTests {
    static let push = PushRequest(
        batchID: "b1",
        changes: [
            Change(
                id: "c1",
                table: "agents",
                key: "a1",
                operation: .upsert,
                baseVersion: 0,
                data: ["name": "A", "n": 1],
                hlc: 7
            ),
            Change(
                id: "c2",
                table: "agents",
                key: "a2",
                operation: .upsert,
                baseVersion: 3,
                data: ["n": 2],
                partial: true,
                hlc: 8
            ),
            Change(id: "c3", table: "agents", key: "a3", operation: .delete, baseVersion: 4, hlc: 9),
        ],
        schemas: ["agents": ["name", "n"]]
    )

    @Test("a request built from its changes' texts reads back as the same request, and as the whole encoding does")
    func encodedFromChangeTexts() throws {
        let texts = Self.push.changes.map { $0.json.encoded() }
        let spliced = Self.push.encoded(changes: texts)
        #expect(try PushRequest(json: JSONValue(parsing: spliced)) == Self.push)
        #expect(try JSONValue(parsing: spliced) == JSONValue(parsing: Self.push.json.encoded()))
        var declared = Self.push
        declared.schemas = [:]
        #expect(try PushRequest(json: JSONValue(parsing: declared.encoded(changes: texts))) == declared)
        let empty = PushRequest(batchID: "b2", changes: [])
        #expect(try PushRequest(json: JSONValue(parsing: empty.encoded(changes: []))) == empty)
    }

    @Test("every wire type survives a round trip through JSON text")
    func roundTrips() throws {
        #expect(try PushRequest(json: JSONValue(parsing: Self.push.json.encoded())) == Self.push)
        let row = HubRow(
            table: "agents",
            key: "a1",
            version: 2,
            data: ["name": "A"],
            deleted: false,
            hlc: 7,
            origin: "n",
            sequence: 5
        )
        let tombstone = HubRow(
            table: "agents",
            key: "a2",
            version: 3,
            data: nil,
            deleted: true,
            hlc: 8,
            origin: "n",
            sequence: 6
        )
        let response = PushResponse(
            results: [
                ChangeResult(changeID: "c1", status: .applied, version: 1, sequence: 5),
                ChangeResult(changeID: "c2", status: .conflict, version: 4, current: row),
                ChangeResult(changeID: "c3", status: .applied, version: 0),
            ],
            sequence: 5
        )
        let text = response.json.encoded()
        #expect(try PushResponse(json: JSONValue(parsing: text), changes: Self.push.changes) == response)
        // Positional on the wire: no change ids, about 10 bytes an applied change.
        #expect(!text.contains("c1") && text.hasPrefix(#"{"results":[[1,5],{"current""#))
        let pull = PullResponse(rows: [row, tombstone], cursor: 6, more: true)
        #expect(try PullResponse(json: JSONValue(parsing: pull.json.encoded())) == pull)
    }

    @Test("an answer with the wrong number of results is refused")
    func answerCountMustMatch() throws {
        let answer = try JSONValue(parsing: #"{"sequence": 1, "results": [[1, 1]]}"#)
        #expect(throws: WireError.self) { try PushResponse(json: answer, changes: Self.push.changes) }
    }

    @Test(
        "a body of the wrong shape names the member and what it should be",
        arguments: [
            (#"{"changes": []}"#, "batch_id must be a string."),
            (#"{"batch_id": "b", "changes": {}}"#, "changes must be an array."),
            (
                #"{"batch_id": "b", "changes": [{"id": "c", "table": "t", "key": "k", "op": "upsert", "base_version": "1", "hlc": 1}]}"#,
                "changes[0].base_version must be an integer."
            ),
            (
                #"{"batch_id": "b", "changes": [{"id": "c", "table": "t", "key": "k", "op": "merge", "base_version": 1, "hlc": 1}]}"#,
                #"changes[0].op must be "upsert" or "delete"."#
            ),
            (#"{"batch_id": "b", "changes": [], "schemas": {"t": [1]}}"#, "schemas.t[0] must be a string."),
            (#"[1]"#, "The body must be an object."),
        ]
    )
    func namesTheMember(text: String, message: String) throws {
        #expect {
            _ = try PushRequest(json: JSONValue(parsing: text))
        } throws: { error in
            (error as? WireError)?.description == message
        }
    }

    @Test("Codable and JSONValue coding agree")
    func codableAgrees() throws {
        let viaCodable = try JSONDecoder().decode(PushRequest.self, from: Data(Self.push.json.encoded().utf8))
        #expect(viaCodable == Self.push)
    }

    @Test("a change written with its data's text is byte for byte the change's JSON encoded")
    func changeTextMatchesItsJSON() {
        let data: JSONValue = .object([
            "name": .string("quote \" and back\\slash, tab\t, é, 😀"), "reading": .double(21.5),
            "count": .integer(-3), "blob": .object(["$blob": .string("AAEC")]), "none": .null,
            "flags": .array([.bool(true), .bool(false)]),
        ])
        let changes = [
            Change(id: "c1", table: "readings", key: "r1", operation: .upsert, baseVersion: 0, data: data, hlc: 42),
            Change(
                id: "c2",
                table: "ta\"ble",
                key: "[\"a\",1]",
                operation: .upsert,
                baseVersion: 7,
                data: data,
                partial: true,
                hlc: 1 << 50,
                origin: "node-9",
                priority: 10
            ),
            Change(id: "c3", table: "readings", key: "r1", operation: .delete, baseVersion: 3, hlc: 5),
            Change(
                id: "c4",
                table: "t",
                key: "k",
                operation: .delete,
                baseVersion: 0,
                hlc: 0,
                origin: nil,
                priority: 1
            ),
        ]
        for change in changes {
            #expect(change.encoded(dataText: change.data?.encoded()) == change.json.encoded(), "\(change.id)")
        }
    }
}
