import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

/// Declarations a node pushes, kept by the hub and served at `GET /v1/tables`.
@Suite("Table declarations", .serialized)
struct TableDeclarationTests {
    static let readings = TableDeclaration(
        columns: [
            .init(name: "id", type: "TEXT"), .init(name: "value", type: "REAL"),
            .init(name: "label", type: "VARCHAR(20)"), .init(name: "raw", type: ""),
        ],
        primaryKey: ["id"]
    )

    static func tables(_ node: HubClient) async throws -> [String: TableDeclaration] {
        let response = try await node.raw("/v1/tables", method: .get)
        try #require(response.status == .ok, "tables: \(response.status) \(String(buffer: response.body))")
        return try TableDeclaration.tablesAnswer(json: JSONValue(parsing: String(buffer: response.body)))
    }

    @Test(
        "the hub keeps each column's first declared type and the first key, serves them per tenant, never drops a column",
        arguments: HubBackend.allCases
    )
    func declarationsAreServed(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage, nodes: 2)
            let a = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[0]]!)
            let other = try await TestTenant.make(in: storage)
            let stranger = HubClient(client: client, token: other.token)

            // An older node: columns without declarations.
            _ = try await a.push(batch(upsert("a1", ["name": "Cam"])))
            let row: JSONValue = ["id": "r1", "value": 1.5, "label": "x", "raw": .null]
            _ = try await a.push(
                PushRequest(
                    batchID: UUID().uuidString,
                    changes: [upsert("r1", row, table: "readings")],
                    declarations: ["readings": Self.readings]
                )
            )
            var served = try await Self.tables(a)
            #expect(served["readings"] == Self.readings)
            #expect(served["agents"]?.columns == [.init(name: "name", type: nil)])
            #expect(served["agents"]?.primaryKey == [])

            // Another declaration changes no type and no key; a new column is added at the end.
            var later = Self.readings
            later.columns[1].type = "INTEGER"
            later.columns.remove(at: 2)
            later.columns.append(.init(name: "extra", type: "TEXT"))
            later.primaryKey = ["id", "value"]
            let b = HubClient(client: client, token: tenant.tokens[tenant.nodeIDs[1]]!)
            _ = try await b.push(
                PushRequest(
                    batchID: UUID().uuidString,
                    changes: [upsert("r2", ["id": "r2", "extra": "new"], table: "readings")],
                    declarations: ["readings": later]
                )
            )
            served = try await Self.tables(b)
            #expect(served["readings"]?.columns == Self.readings.columns + [.init(name: "extra", type: "TEXT")])
            #expect(served["readings"]?.primaryKey == ["id"])

            // Scoped to the token's tenant.
            #expect(try await Self.tables(stranger).isEmpty)

            // The answer is the one the OpenAPI document describes.
            let document = try JSONValue(parsing: OpenAPIDocument.json)
            let schema = try #require(
                document["paths"]?["/v1/tables"]?["get"]?["responses"]?["200"]?["content"]?["application/json"]?[
                    "schema"
                ]
            )
            let answer = try await b.raw("/v1/tables", method: .get)
            let problems = try SchemaValidator(document: document)
                .problems(JSONValue(parsing: String(buffer: answer.body)), against: schema)
            #expect(problems.isEmpty, "\(problems)")
            let anonymous = try await client.executeRequest(uri: "/v1/tables", method: .get, headers: [:], body: nil)
            #expect(anonymous.status == .unauthorized)
        }
    }

    /// Declarations the hub refuses, each with the status and code of its answer.
    static let refused: [(name: String, declaration: TableDeclaration, status: HTTPResponse.Status, code: String)] = [
        (
            "a constraint as a type",
            TableDeclaration(columns: [.init(name: "id", type: "TEXT REFERENCES agents")], primaryKey: ["id"]),
            .unprocessableContent, "invalid_declaration"
        ),
        (
            "punctuation in a type",
            TableDeclaration(columns: [.init(name: "id", type: "TEXT); DROP TABLE x; --")], primaryKey: ["id"]),
            .unprocessableContent, "invalid_declaration"
        ),
        (
            "a type over 64 bytes",
            TableDeclaration(
                columns: [.init(name: "id", type: String(repeating: "T", count: 65))],
                primaryKey: ["id"]
            ),
            .unprocessableContent, "invalid_declaration"
        ),
        (
            "no type",
            TableDeclaration(columns: [.init(name: "id", type: nil)], primaryKey: ["id"]),
            .unprocessableContent, "invalid_declaration"
        ),
        (
            "a key column that is not declared",
            TableDeclaration(columns: [.init(name: "id", type: "TEXT")], primaryKey: ["other"]),
            .unprocessableContent, "invalid_declaration"
        ),
        (
            "no key",
            TableDeclaration(columns: [.init(name: "id", type: "TEXT")], primaryKey: []),
            .unprocessableContent, "invalid_declaration"
        ),
        (
            "a column twice",
            TableDeclaration(
                columns: [.init(name: "id", type: "TEXT"), .init(name: "ID", type: "")],
                primaryKey: ["id"]
            ),
            .unprocessableContent, "invalid_declaration"
        ),
        (
            "a column name that is not an identifier",
            TableDeclaration(
                columns: [.init(name: "id", type: "TEXT"), .init(name: "a b", type: "")],
                primaryKey: ["id"]
            ),
            .badRequest, "invalid_name"
        ),
    ]

    @Test(
        "a malformed declaration refuses the whole batch with a clear reason, and nothing of it is applied",
        arguments: HubBackend.allCases
    )
    func malformedDeclarationsAreRefused(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            for (name, declaration, status, code) in Self.refused {
                let response = try await node.send(
                    PushRequest(
                        batchID: UUID().uuidString,
                        changes: [upsert("r1", ["id": "r1"], table: "readings")],
                        declarations: ["readings": declaration]
                    )
                )
                #expect(response.status == status, "\(name): \(String(buffer: response.body))")
                #expect(errorCode(response) == code, "\(name)")
            }
            let wrongShape = #"""
                {"batch_id": "b1", "changes": [], "declarations": {"readings": {"columns": [{"name": "id", "type": 5}],
                 "primary_key": ["id"]}}}
                """#
            let shape = try await node.raw("/v1/push", method: .post, body: ByteBuffer(string: wrongShape))
            #expect(shape.status == .badRequest)
            #expect(String(buffer: shape.body).contains("declarations.readings.columns[0].type"))

            #expect(try await node.pullAll().rows.isEmpty)
            #expect(try await Self.tables(node).isEmpty)
        }
    }

    @Test("a type is plain: words, then at most (n) or (n, n), no constraint")
    func plainTypes() {
        for type in ["", "TEXT", "varchar(255)", "DECIMAL(10, 2)", "DOUBLE PRECISION", "UNSIGNED BIG INT", "INT8"] {
            #expect(TableDeclaration.isPlainType(type), "\(type)")
        }
        for type in [
            "TEXT NOT NULL", "INTEGER DEFAULT 1", "TEXT COLLATE NOCASE", "INT CHECK (1)", "(5)", "TEXT(1,2,3)",
            "TEXT(1) X", "TEXT\"", "TEXT(-1)", "TEXT(", "1TEXT", "INTEGER GENERATED ALWAYS AS (1)",
        ] {
            #expect(!TableDeclaration.isPlainType(type), "\(type)")
        }
    }
}
