import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

/// Checks JSON values against the subset of OpenAPI 3.0 schema the hub's document uses.
struct SchemaValidator {
    let components: [String: JSONValue]

    init(document: JSONValue) throws {
        components = try #require(document["components"]?["schemas"]?.objectValue)
    }

    /// Problems found, as "path: what"; empty when `value` conforms.
    func problems(_ value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        if let reference = schema["$ref"]?.stringValue {
            let name = String(reference.split(separator: "/").last ?? "")
            guard let resolved = components[name] else { return ["\(path): unknown schema \(reference)"] }
            return problems(value, against: resolved, at: path)
        }
        if case .array(let alternatives)? = schema["oneOf"] {
            let matching = alternatives.filter { problems(value, against: $0, at: path).isEmpty }
            return matching.count == 1 ? [] : ["\(path): matches \(matching.count) of the oneOf alternatives, not 1"]
        }
        if value == .null {
            return schema["nullable"] == true ? [] : ["\(path): null where it is not nullable"]
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            return ["\(path): \(value.encoded()) is not one of \(JSONValue.array(allowed).encoded())"]
        }
        switch schema["type"]?.stringValue {
        case "object":
            guard case .object(let members) = value else { return ["\(path): expected an object"] }
            var found: [String] = []
            if case .array(let required)? = schema["required"] {
                for name in required.compactMap(\.stringValue) where members[name] == nil {
                    found.append("\(path): missing required \(name)")
                }
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for (name, member) in members {
                if let property = properties[name] {
                    found += problems(member, against: property, at: "\(path).\(name)")
                } else if let additional = schema["additionalProperties"], case .object = additional {
                    found += problems(member, against: additional, at: "\(path).\(name)")
                } else if !properties.isEmpty {
                    found.append("\(path): undocumented member \(name)")
                }
            }
            return found
        case "array":
            guard case .array(let elements) = value else { return ["\(path): expected an array"] }
            guard let items = schema["items"] else { return [] }
            return elements.enumerated().flatMap { problems($1, against: items, at: "\(path)[\($0)]") }
        case "string": return value.stringValue == nil ? ["\(path): expected a string"] : []
        case "integer":
            if case .integer = value { return [] }
            return ["\(path): expected an integer"]
        case "boolean":
            if case .bool = value { return [] }
            return ["\(path): expected a boolean"]
        default: return []
        }
    }
}

@Suite("OpenAPI document matches the hub's answers")
struct OpenAPIConformanceTests {
    @Test("every documented response the hub gives conforms to its schema", arguments: HubBackend.allCases)
    func responsesConform(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let served = try await client.executeRequest(uri: "/openapi.json", method: .get, headers: [:], body: nil)
            let document = try JSONValue(parsing: String(buffer: served.body))
            #expect(document["openapi"] == "3.0.3")
            let validator = try SchemaValidator(document: document)
            func check(
                _ response: TestResponse,
                _ path: String,
                _ method: String,
                sourceLocation: SourceLocation = #_sourceLocation
            ) throws {
                let status = "\(response.status.code)"
                let schema = try #require(
                    document["paths"]?[path]?[method]?["responses"]?[status]?["content"]?["application/json"]?[
                        "schema"
                    ],
                    "\(method.uppercased()) \(path) does not document a \(status) answer",
                    sourceLocation: sourceLocation
                )
                let body = try JSONValue(parsing: String(buffer: response.body))
                let problems = validator.problems(body, against: schema)
                #expect(problems.isEmpty, "\(method) \(path) \(status): \(problems)", sourceLocation: sourceLocation)
            }

            try check(
                try await client.executeRequest(uri: "/health", method: .get, headers: [:], body: nil),
                "/health",
                "get"
            )
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let b = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[1]]!)
            try check(try await a.send(batch(upsert("k1", ["name": "x"]))), "/v1/push", "post")
            try check(try await b.send(batch(upsert("k1", ["name": "y"]), delete("k2", base: 0))), "/v1/push", "post")
            try check(try await a.raw("/v1/pull?after=0", method: .get), "/v1/pull", "get")
            try check(try await a.raw("/v1/nodes", method: .get), "/v1/nodes", "get")
            try check(try await a.send(batch(upsert("k1", ["nope": 1], base: 1))), "/v1/push", "post")
            try check(try await a.raw("/v1/push", method: .post, body: ByteBuffer(string: "{")), "/v1/push", "post")
            try check(try await a.raw("/v1/pull?after=x", method: .get), "/v1/pull", "get")
            try check(
                try await client.executeRequest(uri: "/v1/pull", method: .get, headers: [:], body: nil),
                "/v1/pull",
                "get"
            )
            try check(try await a.send(batch(upsert("k1", ["name": "z"], base: 9))), "/v1/push", "post")

            let chunk = ChunkEndpointTests.frame("documented chunk")
            let hashes = ChunkEndpointTests.hashes([chunk.hash])
            try check(try await a.raw("/v1/chunks/missing", method: .post, body: hashes), "/v1/chunks/missing", "post")
            let upload = ByteBuffer(bytes: ChunkFrame.encode([chunk]))
            try check(try await a.raw("/v1/chunks", method: .post, body: upload), "/v1/chunks", "post")
            var corrupt = chunk
            corrupt.payload[0] ^= 1
            let bad = ByteBuffer(bytes: ChunkFrame.encode([corrupt]))
            try check(try await a.raw("/v1/chunks", method: .post, body: bad), "/v1/chunks", "post")
            let malformed = ByteBuffer(string: #"{"hashes": ["x"]}"#)
            try check(try await a.raw("/v1/chunks/fetch", method: .post, body: malformed), "/v1/chunks/fetch", "post")

            let digest = { (request: DigestRequest) in ByteBuffer(string: request.json.encoded()) }
            let listed = digest(DigestRequest(table: "agents", columns: ["name"]))
            try check(try await a.raw("/v1/digest", method: .post, body: listed), "/v1/digest", "post")
            let bucketed = digest(DigestRequest(table: "agents", columns: ["name"], buckets: 4, rowsUpTo: 0))
            try check(try await a.raw("/v1/digest", method: .post, body: bucketed), "/v1/digest", "post")
            let refused = ByteBuffer(string: #"{"table": "agents", "columns": ["name"], "buckets": 0}"#)
            try check(try await a.raw("/v1/digest", method: .post, body: refused), "/v1/digest", "post")
        }
    }

    /// Issue 15, item 11: a method a documented path does not have was answered 404.
    @Test("a documented path asked with another method answers 405 with Allow", arguments: HubBackend.allCases)
    func methodNotAllowed(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let token = try await TestTenant.make(in: storage).token
            let document = try JSONValue(parsing: OpenAPIDocument.json)
            let paths = try #require(document["paths"]?.objectValue)
            var checked = 0
            for (path, operations) in paths {
                let documented = Set((operations.objectValue ?? [:]).keys.map { $0.uppercased() })
                for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch]
                where !documented.contains(method.rawValue) {
                    let response = try await client.executeRequest(
                        uri: path,
                        method: method,
                        headers: [.authorization: "Bearer \(token)"],
                        body: nil
                    )
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(
                        response.headers[.allow] == documented.sorted().joined(separator: ", "),
                        "\(method) \(path)"
                    )
                    #expect(errorCode(response) == "method_not_allowed")
                    checked += 1
                }
            }
            #expect(checked > 30)
            let unknown = try await client.executeRequest(uri: "/v1/nothing", method: .get, headers: [:], body: nil)
            #expect(unknown.status == .notFound)
        }
    }

    @Test(
        "query parameters out of the document's ranges are refused, inside them accepted",
        arguments: HubBackend.allCases
    )
    func parameterRanges(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let node = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            let document = try JSONValue(parsing: OpenAPIDocument.json)
            guard case .array(let parameters)? = document["paths"]?["/v1/pull"]?["get"]?["parameters"] else {
                Issue.record("GET /v1/pull documents no parameters")
                return
            }
            func integer(_ value: JSONValue?) -> Int? {
                if case .integer(let number)? = value { return Int(number) }
                return nil
            }
            for parameter in parameters {
                guard let name = parameter["name"]?.stringValue, let minimum = integer(parameter["schema"]?["minimum"])
                else { continue }
                let below = try await node.raw("/v1/pull?\(name)=\(minimum - 1)", method: .get)
                #expect(below.status == .badRequest, "\(name)=\(minimum - 1)")
                #expect(
                    try await node.raw("/v1/pull?\(name)=\(minimum)", method: .get).status == .ok,
                    "\(name)=\(minimum)"
                )
                if let maximum = integer(parameter["schema"]?["maximum"]) {
                    // As text: Int64.max + 1 does not fit an Int.
                    let tooLarge = String(UInt64(maximum) + 1)
                    let above = try await node.raw("/v1/pull?\(name)=\(tooLarge)", method: .get)
                    #expect(above.status == .badRequest, "\(name)=\(tooLarge)")
                }
            }
            let empty = try await node.send(PushRequest(batchID: "", changes: [], schemas: [:]))
            #expect(empty.status == .badRequest && errorCode(empty) == "invalid_batch_id")
            let emptyUpload = try await node.raw("/v1/chunks", method: .post, body: ByteBuffer())
            #expect(emptyUpload.status == .badRequest && errorCode(emptyUpload) == "invalid_chunks")
        }
    }
}
