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
}
