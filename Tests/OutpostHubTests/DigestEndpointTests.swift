import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

/// `POST /v1/digest` on both backends: the same answer a node computes, per tenant, bounded.
@Suite("Hub digest endpoint", .serialized)
struct DigestEndpointTests {
    @Test("a digest lists few rows, buckets many, and hashes rows as the node does", arguments: HubBackend.allCases)
    func listsAndBuckets(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let other = try await TestTenant.make(in: storage)
            let stranger = HubClient(client: client, token: other.token)
            let rows: [JSONValue] = (0..<40).map {
                ["name": .string("agent \($0)"), "fps": .double(Double($0) + 0.5), "blob": ["$blob": "AP8Q"]]
            }
            _ = try await a.push(
                PushRequest(
                    batchID: UUID().uuidString,
                    changes: rows.enumerated().map { upsert("k\($0.offset)", $0.element) }
                )
            )
            _ = try await a.push(batch(delete("k0", base: 1)))

            let columns = ["blob", "fps", "name"]
            let listed = try DigestAnswer(
                json: try await a.post("/v1/digest", DigestRequest(table: "agents", columns: columns).json)
            )
            let listedRows = try #require(listed.rows)
            #expect(listedRows.count == 40, "tombstones are listed too")
            #expect(listedRows.first { $0.key == "k0" }?.hash == nil)
            let k7 = try #require(listedRows.first { $0.key == "k7" })
            #expect(k7.hash == RowFingerprint.rowHash(key: "k7", data: rows[7], columns: columns))

            let bucketed = try DigestAnswer(
                json: try await a.post(
                    "/v1/digest",
                    DigestRequest(table: "agents", columns: columns, buckets: 8, rowsUpTo: 10).json
                )
            )
            let buckets = try #require(bucketed.buckets)
            #expect(buckets.count == 8)
            #expect(buckets.reduce(0) { $0 + $1.count } == 39, "live rows only")
            var expected = Array(repeating: DigestAnswer.Bucket(), count: 8)
            for index in 1..<40 {
                let key = "k\(index)"
                expected[KeyHashRange.all.bucket(of: RowFingerprint.keyHash(key), count: 8)]
                    .add(RowFingerprint.rowHash(key: key, data: rows[index], columns: columns))
            }
            #expect(buckets == expected)

            // Another tenant sees none of it.
            let foreign = try DigestAnswer(
                json: try await stranger.post("/v1/digest", DigestRequest(table: "agents", columns: columns).json)
            )
            #expect(foreign.rows == [])
        }
    }

    @Test("malformed digest requests are refused with 400 and a reason", arguments: HubBackend.allCases)
    func malformedRequests(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            let bad: [String] = [
                #"{"table": "agents"}"#,
                #"{"table": "no such; table", "columns": []}"#,
                #"{"table": "agents", "columns": ["x"], "buckets": 0}"#,
                #"{"table": "agents", "columns": ["x"], "rows_up_to": 100000}"#,
                #"{"table": "agents", "columns": ["x"], "from": "zz"}"#,
                #"{"table": "agents", "columns": ["x"], "from": "00000000000000ff", "to": "0000000000000001"}"#,
                "[",
            ]
            for body in bad {
                let response = try await node.raw("/v1/digest", method: .post, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body) → \(response.status)")
                let error = try JSONValue(parsing: String(buffer: response.body))["error"]
                #expect(error?["message"]?.stringValue?.isEmpty == false)
            }
        }
    }
}
