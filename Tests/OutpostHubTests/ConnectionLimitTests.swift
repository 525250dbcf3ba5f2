import Foundation
import HTTPTypes
import HummingbirdTesting
import OutpostCore
import OutpostProtocol
import OutpostTesting
import Testing

@testable import OutpostHub

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 15, item 3: 1,100 unauthenticated half-open connections stopped `/health`, one was
/// still held after 152 s, and only requests with a valid token were rate limited.
@Suite("Connections and requests without a valid token", .serialized)
struct ConnectionLimitTests {
    @Test(
        "requests without a valid token are limited per address; a node that authenticated keeps working",
        arguments: HubBackend.allCases
    )
    func unauthenticatedRateLimit(backend: HubBackend) async throws {
        var configuration = HubConfiguration()
        configuration.unauthenticatedRequestsPerSecond = 1
        try await withHub(backend, configuration: configuration) { storage, client in
            let node = HubClient(client: client, token: try await TestTenant.make(in: storage).token)
            #expect(try await node.raw("/v1/pull", method: .get).status == .ok)
            let guesser = HubClient(client: client, token: "guessed-\(UUID().uuidString)")
            var statuses: [HTTPResponse.Status] = []
            let start = ContinuousClock.now
            for _ in 0..<10 { statuses.append(try await guesser.raw("/v1/pull", method: .get).status) }
            // The bucket holds 4 and gains one a second: on loaded cores the ten requests can
            // take long enough for it to let one or two more through.
            let refills = Int((ContinuousClock.now - start) / .seconds(1))
            let refused = statuses.filter { $0 == .tooManyRequests }.count
            #expect(statuses.prefix(4).allSatisfy { $0 == .unauthorized }, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests }, "\(statuses)")
            #expect(refused >= 6 - refills && refused > 0, "\(statuses) in \(refills) s")
            let limited = try await guesser.raw("/v1/pull", method: .get)
            #expect(limited.headers[.retryAfter] != nil && errorCode(limited) == "rate_limited")
            #expect(try await node.raw("/v1/pull", method: .get).status == .ok, "a known node is not locked out")
        }
    }

    /// A TCP connection to the hub that sends what it is told to and nothing else.
    final class RawConnection {
        let descriptor: Int32

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try #require(connected == 0, "connect: \(String(cString: strerror(errno)))")
        }

        func send(_ text: String) {
            _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }

        /// What the hub sends until it closes the connection or `timeout` passes; `closed`
        /// says which.
        func read(timeout: Duration) -> (text: String, closed: Bool) {
            let deadline = ContinuousClock.now + timeout
            var bytes: [UInt8] = []
            while ContinuousClock.now < deadline {
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 100) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count <= 0 { return (String(decoding: bytes, as: UTF8.self), true) }
                bytes += buffer[..<count]
            }
            return (String(decoding: bytes, as: UTF8.self), false)
        }

        deinit { close(descriptor) }
    }

    @Test("a connection that sends nothing is closed after the idle timeout; a body that stalls gets 408")
    func timeouts() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let arguments = ["--home", folder.path]
        let node = try await LiveHubTests.registerNode(arguments)
        // A body gap longer than the idle timeout closes the connection too; a shorter body
        // timeout answers first.
        let hub = try await HubProcess.start(arguments: arguments + ["--idle-timeout", "3s", "--body-timeout", "1s"])
        defer { hub.stop() }

        let silent = try RawConnection(port: hub.port)
        let idle = silent.read(timeout: .seconds(10))
        #expect(idle.closed, "a silent connection is closed by the hub")

        let halfHeader = try RawConnection(port: hub.port)
        halfHeader.send("GET /health HTTP/1.1\r\nHost: x\r\n")
        #expect(halfHeader.read(timeout: .seconds(10)).closed, "a request head that never ends is closed too")

        let stalled = try RawConnection(port: hub.port)
        stalled.send(
            "POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"batch_id\""
        )
        let answer = stalled.read(timeout: .seconds(10))
        #expect(answer.text.hasPrefix("HTTP/1.1 408"), "\(answer.text.prefix(200))")
        #expect(answer.text.contains("body_timeout"))

        // A long poll waits past the idle timeout: the connection is busy, not idle.
        let polled = try await HubHTTPClient(baseURL: hub.url, token: node.token).pull(
            after: 0,
            waitMilliseconds: 4_500
        )
        #expect(polled.rows.isEmpty)
    }

    @Test("past the connection cap, new connections wait until idle ones are closed; /health still answers")
    func connectionCap() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hub = try await HubProcess.start(
            arguments: ["--home", folder.path, "--max-connections", "8", "--idle-timeout", "2s"]
        )
        defer { hub.stop() }
        let held = try (0..<8).map { _ in try RawConnection(port: hub.port) }
        let health = try await HubHTTPClient(baseURL: hub.url, token: "none").send("/health", method: "GET")
        #expect(health.status == 200)
        #expect(held.allSatisfy { $0.read(timeout: .seconds(5)).closed }, "the idle connections were closed")
    }
}
