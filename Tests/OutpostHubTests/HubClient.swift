import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

/// Speaks the sync protocol to an in-process hub, as a node would.
struct HubClient: Sendable {
    let client: any TestClientProtocol
    let token: String

    func push(_ request: PushRequest) async throws -> PushResponse {
        let response = try await send(request)
        try #require(response.status == .ok, "push failed: \(response.status) \(String(buffer: response.body))")
        return try PushResponse(json: JSONValue(parsing: String(buffer: response.body)), changes: request.changes)
    }

    /// POSTs `json` to `uri` and returns the answer, which must be 200.
    func post(_ uri: String, _ json: JSONValue) async throws -> JSONValue {
        let response = try await raw(uri, method: .post, body: ByteBuffer(string: json.encoded()))
        try #require(response.status == .ok, "\(uri): \(response.status) \(String(buffer: response.body))")
        return try JSONValue(parsing: String(buffer: response.body))
    }

    func send(_ request: PushRequest, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        try await raw(
            "/v1/push",
            method: .post,
            body: ByteBuffer(bytes: try JSONEncoder().encode(request)),
            headers: extra
        )
    }

    func pull(after cursor: Int64, limit: Int = 1000, waitMilliseconds: Int = 0) async throws -> PullResponse {
        let response = try await raw(
            "/v1/pull?after=\(cursor)&limit=\(limit)&wait_ms=\(waitMilliseconds)",
            method: .get
        )
        try #require(response.status == .ok, "pull failed: \(response.status) \(String(buffer: response.body))")
        return try JSONDecoder().decode(PullResponse.self, from: Data(response.body.readableBytesView))
    }

    /// Every row after `cursor`, following `more` until caught up.
    func pullAll(after cursor: Int64 = 0) async throws -> (rows: [HubRow], cursor: Int64) {
        var cursor = cursor
        var rows: [HubRow] = []
        while true {
            let page = try await pull(after: cursor)
            rows += page.rows
            cursor = page.cursor
            if !page.more { return (rows, cursor) }
        }
    }

    func raw(_ uri: String, method: HTTPRequest.Method, body: ByteBuffer? = nil, headers extra: HTTPFields = [:])
        async throws -> TestResponse
    {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        // The protocol this build's nodes speak, unless the test speaks another (or none).
        let version = HTTPField.Name(ProtocolVersion.header)!
        if extra[version] == nil { headers[version] = "\(ProtocolVersion.current)" }
        headers.append(contentsOf: extra.filter { $0.name != version || $0.value != "" })
        return try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }
}

/// The error code in a JSON error body.
func errorCode(_ response: TestResponse) -> String? {
    guard let body = try? JSONDecoder().decode(ErrorResponse.self, from: Data(response.body.readableBytesView)) else {
        return nil
    }
    return body.error.code
}

/// A change for tests: an upsert of `data` into `table`/`key`.
func upsert(
    _ key: String,
    _ data: JSONValue,
    table: String = "agents",
    base: Int64 = 0,
    id: String = UUID().uuidString,
    partial: Bool = false,
    hlc: Int64 = 1
) -> Change {
    Change(
        id: id,
        table: table,
        key: key,
        operation: .upsert,
        baseVersion: base,
        data: data,
        partial: partial,
        hlc: hlc
    )
}

func delete(_ key: String, table: String = "agents", base: Int64, id: String = UUID().uuidString) -> Change {
    Change(id: id, table: table, key: key, operation: .delete, baseVersion: base, hlc: 2)
}

func batch(_ changes: Change..., id: String = UUID().uuidString, schemas: [String: [String]] = [:]) -> PushRequest {
    PushRequest(batchID: id, changes: changes, schemas: schemas)
}
