import Crypto
import Foundation
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

/// Issue 15, item 1: `POST /v1/chunks` loaded and inflated the delta base of every frame before
/// checking any, about 1 MiB of hub memory per 64 bytes of request, and the hub serves every
/// tenant. Measured on a real hub process, by its peak resident memory (`VmHWM`).
@Suite("Delta bases cannot inflate the hub's memory", .serialized)
struct DeltaBaseMemoryTests {
    /// The hub's peak resident memory, in bytes.
    static func peakMemory(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty } ?? ""))
        return kilobytes * 1024
    }

    @Test(
        "a small upload naming thousands of delta bases is refused before they are loaded; peak memory stays flat",
        arguments: HubBackend.allCases
    )
    func manyBases(backend: HubBackend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let arguments = try LiveHubTests.databaseArguments(backend, folder: folder)
        let node = try await LiveHubTests.registerNode(arguments)
        let hub = try await HubProcess.start(arguments: arguments)
        defer { hub.stop() }
        let client = HubHTTPClient(baseURL: hub.url, token: node.token)

        // 96 incompressible 1 MiB chunks the tenant holds, uploaded four at a time.
        var generator = SplitMix64(seed: 2026_12_02)
        var held: [[UInt8]] = []
        for _ in 0..<24 {
            let frames = (0..<4).map { _ in
                let plain = generator.bytes(1 << 20)
                let hash = Hex.encode(SHA256.hash(data: plain))
                return plain.withUnsafeBytes { ChunkFrame.make(plain: $0, hash: hash) }
            }
            held += frames.map { Hex.decode($0.hash)! }
            let answer = try await client.send(
                "/v1/chunks",
                method: "POST",
                bytes: ChunkFrame.encode(frames),
                contentType: "application/octet-stream"
            )
            try #require(answer.status == 200, "\(answer.status) \(answer.body)")
        }
        // Forget the uploads' own peak: only what the attack adds counts.
        try "5".write(toFile: "/proc/\(hub.processIdentifier)/clear_refs", atomically: false, encoding: .utf8)
        let before = try Self.peakMemory(of: hub.processIdentifier)

        // 3,000 delta frames of a 72-byte header (two base hashes, prefix and suffix lengths) and a
        // few bytes of garbage, naming pairs of the 96 held chunks: a body of about 300 KB.
        var frames: [ChunkFrame] = []
        for index in 0..<3_000 {
            let head = held[index % held.count]
            let tail = held[(index / held.count + index + 1) % held.count]
            frames.append(
                ChunkFrame(
                    hash: Hex.encode(SHA256.hash(data: Array("forged \(index)".utf8))),
                    flags: ChunkFrame.deltaFlag,
                    payload: head + tail + [UInt8](repeating: 0, count: 8) + [0, 1, 2, 3]
                )
            )
        }
        let answer = try await client.send(
            "/v1/chunks",
            method: "POST",
            bytes: ChunkFrame.encode(frames),
            contentType: "application/octet-stream"
        )
        #expect(answer.status == 413, "\(answer.status) \(answer.body)")
        #expect(answer.body.contains("too_many_delta_bases"), "\(answer.body)")
        let grown = try Self.peakMemory(of: hub.processIdentifier) - before
        // The bases alone are 96 MiB; the request itself is 0.3 MB.
        #expect(grown < 24 << 20, "the hub's peak memory grew by \(grown >> 20) MiB")
        #expect(try await client.send("/health", method: "GET").status == 200)
    }
}
