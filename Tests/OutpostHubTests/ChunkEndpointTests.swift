import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

/// The file-chunk endpoints, on both backends.
@Suite("Hub file chunks", .serialized)
struct ChunkEndpointTests {
    static func frame(_ text: String) -> ChunkFrame {
        let bytes = Array(text.utf8)
        let hash = Hex.encode(SHA256.hash(data: bytes))
        return bytes.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: hash) }
    }

    static func hashes(_ hashes: [String]) -> ByteBuffer {
        ByteBuffer(string: JSONValue.object(["hashes": .array(hashes.map { .string($0) })]).encoded())
    }

    @Test("missing, upload and fetch round trip; uploads are deduplicated", arguments: HubBackend.allCases)
    func roundTrip(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let node = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            let small = Self.frame("hello")
            let large = Self.frame(String(repeating: "sensor reading 21.5\n", count: 500))
            #expect(large.flags == ChunkFrame.compressedFlag, "a compressible chunk travels deflated")
            var answer = try await node.raw(
                "/v1/chunks/missing",
                method: .post,
                body: Self.hashes([small.hash, large.hash])
            )
            #expect(answer.status == .ok)
            #expect(
                try JSONValue(parsing: String(buffer: answer.body))["missing"] == [
                    .string(small.hash), .string(large.hash),
                ]
            )

            answer = try await node.raw(
                "/v1/chunks",
                method: .post,
                body: ByteBuffer(bytes: ChunkFrame.encode([small, large])),
                headers: [.contentType: "application/octet-stream"]
            )
            #expect(answer.status == .ok)
            #expect(try JSONValue(parsing: String(buffer: answer.body))["stored"] == 2)
            answer = try await node.raw(
                "/v1/chunks",
                method: .post,
                body: ByteBuffer(bytes: ChunkFrame.encode([small]))
            )
            #expect(try JSONValue(parsing: String(buffer: answer.body))["stored"] == 0, "a chunk is kept once")

            answer = try await node.raw(
                "/v1/chunks/missing",
                method: .post,
                body: Self.hashes([small.hash, large.hash])
            )
            #expect(try JSONValue(parsing: String(buffer: answer.body))["missing"] == [])
            answer = try await node.raw("/v1/chunks/fetch", method: .post, body: Self.hashes([large.hash, small.hash]))
            #expect(answer.status == .ok)
            let frames = try ChunkFrame.decode(answer.body.readableBytesView, maximumPayload: 1 << 20)
            #expect(frames == [large, small])
            #expect(
                try frames[0].plainBytes(maximumSize: 1 << 20)
                    == Array(String(repeating: "sensor reading 21.5\n", count: 500).utf8)
            )
        }
    }

    @Test("another tenant's node sees none of the chunks and cannot fetch them", arguments: HubBackend.allCases)
    func tenantIsolation(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let first = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            let second = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            let chunk = Self.frame("tenant one's secret model")
            _ = try await first.raw("/v1/chunks", method: .post, body: ByteBuffer(bytes: ChunkFrame.encode([chunk])))
            let missing = try await second.raw("/v1/chunks/missing", method: .post, body: Self.hashes([chunk.hash]))
            #expect(try JSONValue(parsing: String(buffer: missing.body))["missing"] == [.string(chunk.hash)])
            let fetched = try await second.raw("/v1/chunks/fetch", method: .post, body: Self.hashes([chunk.hash]))
            #expect(fetched.status == .ok && fetched.body.readableBytes == 0)
        }
    }

    @Test(
        "a corrupt chunk, a malformed hash, a cut frame or no token is refused with nothing stored",
        arguments: HubBackend.allCases
    )
    func badInput(backend: HubBackend) async throws {
        try await withHub(backend) { storage, client in
            let node = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            let good = Self.frame("good chunk")
            var bad = Self.frame("bad chunk")
            bad.payload[0] ^= 1
            var answer = try await node.raw(
                "/v1/chunks",
                method: .post,
                body: ByteBuffer(bytes: ChunkFrame.encode([good, bad]))
            )
            #expect(answer.status == .badRequest && errorCode(answer) == "chunk_corrupt")
            answer = try await node.raw("/v1/chunks/missing", method: .post, body: Self.hashes([good.hash]))
            #expect(
                try JSONValue(parsing: String(buffer: answer.body))["missing"] == [.string(good.hash)],
                "no partial effect"
            )

            let cut = Array(ChunkFrame.encode([good]).dropLast(2))
            answer = try await node.raw("/v1/chunks", method: .post, body: ByteBuffer(bytes: cut))
            #expect(answer.status == .badRequest && errorCode(answer) == "invalid_chunks")
            answer = try await node.raw("/v1/chunks/missing", method: .post, body: Self.hashes(["../../etc/passwd"]))
            #expect(answer.status == .badRequest && errorCode(answer) == "invalid_body")
            answer = try await node.raw("/v1/chunks/fetch", method: .post, body: ByteBuffer(string: "{\"hashes\": 3}"))
            #expect(answer.status == .badRequest)
            answer = try await client.executeRequest(
                uri: "/v1/chunks/missing",
                method: .post,
                headers: [:],
                body: Self.hashes([good.hash])
            )
            #expect(answer.status == .unauthorized)
        }
    }

    @Test(
        "fetch answers stay within the body limit; an upload inflating past its limit is refused",
        arguments: HubBackend.allCases
    )
    func limits(backend: HubBackend) async throws {
        var configuration = HubConfiguration()
        configuration.limits.maximumBodyBytes = 1_100
        configuration.limits.maximumUploadPlainBytes = 1_000
        configuration.limits.maximumChunkBytes = 700
        try await withHub(backend, configuration: configuration) { storage, client in
            let node = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            var generator = SystemRandomNumberGenerator()
            let chunks = (0..<3).map { _ in
                let bytes = (0..<600).map { _ in UInt8.random(in: 0...255, using: &generator) }
                return bytes.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: Hex.encode(SHA256.hash(data: bytes))) }
            }
            for chunk in chunks {
                let answer = try await node.raw(
                    "/v1/chunks",
                    method: .post,
                    body: ByteBuffer(bytes: ChunkFrame.encode([chunk]))
                )
                #expect(answer.status == .ok)
            }
            let fetched = try await node.raw("/v1/chunks/fetch", method: .post, body: Self.hashes(chunks.map(\.hash)))
            let frames = try ChunkFrame.decode(fetched.body.readableBytesView, maximumPayload: 1 << 20)
            #expect(frames.map(\.hash) == chunks.prefix(2).map(\.hash), "the third would pass the limit")

            let compressible = Array(repeating: UInt8(7), count: 650)
            let a = compressible.withUnsafeBytes {
                ChunkFrame.make(plain: $0, hash: Hex.encode(SHA256.hash(data: compressible)))
            }
            let other = Array(repeating: UInt8(9), count: 650)
            let b = other.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: Hex.encode(SHA256.hash(data: other))) }
            let tooMuch = try await node.raw(
                "/v1/chunks",
                method: .post,
                body: ByteBuffer(bytes: ChunkFrame.encode([a, b]))
            )
            #expect(tooMuch.status == .contentTooLarge && errorCode(tooMuch) == "upload_too_large")
            let missing = try await node.raw("/v1/chunks/missing", method: .post, body: Self.hashes([a.hash]))
            #expect(try JSONValue(parsing: String(buffer: missing.body))["missing"] == [.string(a.hash)])

            let big = Array(repeating: UInt8(1), count: 800)
            let oversize = big.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: Hex.encode(SHA256.hash(data: big))) }
            let refused = try await node.raw(
                "/v1/chunks",
                method: .post,
                body: ByteBuffer(bytes: ChunkFrame.encode([oversize]))
            )
            #expect(refused.status == .badRequest && errorCode(refused) == "chunk_corrupt", "inflates past 700 bytes")
        }
    }
}
