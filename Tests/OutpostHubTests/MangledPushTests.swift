import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

/// Pushes a node would never send: valid batches with bytes cut out, swapped or spliced in.
@Suite("Mangled push bodies", .serialized)
struct MangledPushTests {
    /// Text that has broken parsers and databases before: escapes PostgreSQL cannot store,
    /// numbers its `numeric` refuses, deep nesting, invalid UTF-8, stray structure.
    static let fragments: [[UInt8]] =
        [
            #""a\u0000b""#, #"\u0000"#, "1e-99999", "0." + String(repeating: "9", count: 17_000), "1e999",
            "123456789012345678901234567890", #""\ud800""#, String(repeating: "[", count: 600), "-", "\"", "{", "}",
            "[", "]", ",", ":", "null", "true", #"{"a": 1, "a": 2}"#, "\u{7}",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]

    @Test("no mangled push gets a 5xx; the hub keeps answering", arguments: HubBackend.allCases)
    func mangledBodies(backend: HubBackend) async throws {
        var configuration = HubConfiguration()
        configuration.requestsPerSecond = 100_000
        configuration.requestBurst = 100_000
        try await withHub(backend, configuration: configuration) { storage, client in
            let tenant = try await TestTenant.make(in: storage)
            let node = HubClient(client: client, token: tenant.token)
            _ = try await node.push(batch(upsert("seed", ["name": "S", "fps": 1, "config": ["zones": ["a"]]])))
            var random = SplitMix64(seed: 2026_12_01)
            var statuses: [Int: Int] = [:]
            var failures: [String] = []
            for round in 0..<300 {
                let template = batch(
                    upsert("k\(round % 25)", ["name": "N", "fps": .integer(Int64(round)), "config": ["t": 0.5]]),
                    upsert("seed", ["fps": .integer(Int64(round))], base: 1, partial: true),
                    delete("gone\(round)", base: 0)
                )
                var bytes = Array(try JSONEncoder().encode(template))
                // Half the rounds first put a fragment where the row's 0.5 was, as a value.
                if Bool.random(using: &random), let value = bytes.firstRange(of: Array("0.5".utf8)) {
                    bytes.replaceSubrange(value, with: Self.fragments.randomElement(using: &random)!)
                }
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    let fragment = Self.fragments.randomElement(using: &random)!
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0:
                        bytes.replaceSubrange(
                            at..<min(bytes.count, at + Int.random(in: 1...4, using: &random)),
                            with: fragment
                        )
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(contentsOf: fragment, at: at)
                    }
                }
                let response = try await node.raw("/v1/push", method: .post, body: ByteBuffer(bytes: bytes))
                statuses[Int(response.status.code), default: 0] += 1
                let refusedWithoutReason = response.status.code >= 400 && errorCode(response) == nil
                if response.status.code >= 500 || refusedWithoutReason {
                    failures.append(
                        "\(response.status.code) \(String(buffer: response.body).prefix(200)) for "
                            + String(decoding: bytes.prefix(400), as: UTF8.self)
                    )
                }
            }
            #expect(failures.isEmpty, "\(failures.prefix(3))")
            // The edits leave some batches valid and break most.
            #expect(statuses[200, default: 0] > 0, "\(statuses)")
            #expect(statuses.filter { $0.key >= 400 }.values.reduce(0, +) > 150, "\(statuses)")
            // Still serving, and what it holds still reads back.
            let after = try await node.push(batch(upsert("last", ["name": "L"])))
            #expect(after.results.first?.status == .applied)
            #expect(try await node.pullAll().rows.contains { $0.key == "last" })
        }
    }

    /// Issue 15: chunk uploads (whole and delta frames, with bases the tenant holds) with bytes
    /// cut out, swapped or spliced in, and requests with a bad token mixed in.
    @Test("no mangled chunk upload gets a 5xx; the hub keeps answering", arguments: HubBackend.allCases)
    func mangledChunkUploads(backend: HubBackend) async throws {
        var configuration = HubConfiguration()
        configuration.requestsPerSecond = 100_000
        configuration.requestBurst = 100_000
        configuration.unauthenticatedRequestsPerSecond = 100_000
        try await withHub(backend, configuration: configuration) { storage, client in
            let node = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            let bases = (0..<4).map {
                ChunkEndpointTests.frame("base chunk \($0) " + String(repeating: "x", count: 3_000))
            }
            _ = try await node.raw("/v1/chunks", method: .post, body: ByteBuffer(bytes: ChunkFrame.encode(bases)))
            var random = SplitMix64(seed: 2026_12_02)
            var failures: [String] = []
            var statuses: [Int: Int] = [:]
            for round in 0..<200 {
                let plain = Array("chunk \(round) ".utf8) + random.bytes(Int.random(in: 0...2_000, using: &random))
                let hash = Hex.encode(SHA256.hash(data: plain))
                let whole = plain.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: hash) }
                let head = Hex.decode(bases[round % 4].hash)!
                let tail = Hex.decode(bases[(round + 1) % 4].hash)!
                let delta = ChunkFrame(
                    hash: hash,
                    flags: ChunkFrame.deltaFlag,
                    payload: head + tail + [0, 0, 0, 8, 0, 0, 0, 8] + plain
                )
                var bytes = ChunkFrame.encode([whole, delta])
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &random)))
                    default: bytes.insert(contentsOf: random.bytes(Int.random(in: 1...40, using: &random)), at: at)
                    }
                }
                let token = round % 10 == 0 ? HubClient(client: client, token: "opn_guess\(round)") : node
                let response = try await token.raw("/v1/chunks", method: .post, body: ByteBuffer(bytes: bytes))
                statuses[Int(response.status.code), default: 0] += 1
                if response.status.code >= 500 || (response.status.code >= 400 && errorCode(response) == nil) {
                    failures.append("\(response.status.code) \(String(buffer: response.body).prefix(200))")
                }
            }
            #expect(failures.isEmpty, "\(failures.prefix(3))")
            #expect(statuses.filter { $0.key >= 400 }.values.reduce(0, +) > 100, "\(statuses)")
            #expect(statuses[401, default: 0] == 20, "\(statuses)")
            let health = try await client.executeRequest(uri: "/health", method: .get, headers: [:], body: nil)
            #expect(health.status == .ok)
        }
    }
}
