import Foundation
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

@Suite("Push bodies read in one pass")
struct PushBatchParsingTests {
    static func parse(_ text: String) throws(HubError) -> PushBatch {
        try PushBatch(parsing: Array(text.utf8))
    }

    static func refusal(_ text: String) -> HubError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("reads what a node sends, keeping each row's text and columns")
    func readsNodeBatches() throws {
        let request = batch(
            upsert("a1", ["name": "Cam", "config": ["fps": 30, "zones": ["in"]]]),
            upsert("a2", ["fps": 5], base: 3, partial: true),
            delete("a3", base: 2),
            schemas: ["agents": ["name", "config", "fps"]]
        )
        let parsed = try Self.parse(String(decoding: try JSONEncoder().encode(request), as: UTF8.self))
        #expect(parsed.batchID == request.batchID)
        #expect(parsed.schemas == request.schemas)
        #expect(parsed.changes.map(\.id) == request.changes.map(\.id))
        #expect(parsed.changes.map(\.operation) == [.upsert, .upsert, .delete])
        #expect(parsed.changes.map(\.partial) == [false, true, false])
        #expect(parsed.changes.map(\.baseVersion) == [0, 3, 2])
        #expect(try parsed.changes.map { try $0.data?.value() } == request.changes.map(\.data))
        #expect(parsed.changes[0].data?.columns?.map(\.name).sorted() == ["config", "name"])
        let config = parsed.changes[0].data?.columns?.first { $0.name == "config" }
        #expect(config?.byteCount == #"{"fps":30,"zones":["in"]}"#.utf8.count)
    }

    @Test("keeps data exactly as sent, whitespace and member order included")
    func keepsText() throws {
        let parsed = try Self.parse(
            #"{"changes": [{"data": {"b": 1,  "a": [2]}, "hlc": 1, "base_version": 0, "op": "upsert", "key": "k", "table": "t", "id": "c"}], "batch_id": "b"}"#
        )
        #expect(parsed.changes[0].data?.text == #"{"b": 1,  "a": [2]}"#)
        #expect(parsed.changes[0].data?.columns?.map(\.name) == ["b", "a"])
    }

    @Test(
        "names the member that has the wrong shape, as the wire reader does",
        arguments: [
            (#"[]"#, "invalid_body", "The body must be an object."),
            (#"{"batch_id": "b"}"#, "invalid_body", "changes must be an array."),
            (#"{"changes": []}"#, "invalid_body", "batch_id must be a string."),
            (#"{"batch_id": "b", "changes": [{"id": 1}]}"#, "invalid_body", "changes[0].id must be a string."),
            (
                #"{"batch_id": "b", "changes": [{"op": "merge"}]}"#, "invalid_body",
                #"changes[0].op must be "upsert" or "delete"."#
            ),
            (
                #"{"batch_id": "b", "changes": [{"op": "delete", "id": "c", "table": "t", "key": "k", "base_version": 1.5, "hlc": 1}]}"#,
                "invalid_body", "changes[0].base_version must be an integer."
            ),
            (
                #"{"batch_id": "b", "changes": [], "schemas": {"t": [1]}}"#, "invalid_body",
                "schemas.t[0] must be a string."
            ),
            (
                #"{"batch_id": "b", "changes": [{"op": "upsert", "data": {"a": 1, "a": 2}}]}"#, "invalid_json",
                "duplicate member name"
            ),
            (#"{"batch_id": "b", "changes": []} x"#, "invalid_json", "unexpected text after the JSON value"),
            (#"{"batch_id": "b", "changes": [{"data": {"a": 1e999}}]}"#, "invalid_json", "number out of range"),
        ]
    )
    func refusesShapes(text: String, code: String, message: String) {
        let error = Self.refusal(text)
        #expect(error?.code == code, "\(text)")
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "accepted")")
    }
}
