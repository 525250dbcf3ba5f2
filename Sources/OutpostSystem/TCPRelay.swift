import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP relay on 127.0.0.1 in front of a local server, one thread pair per connection: the
/// one place tests and benchmarks put themselves on the wire. It counts every byte it passes
/// (HTTP headers and framing included, not only bodies) and can cut a connection on demand.
///
/// ```swift
/// let relay = try TCPRelay(upstreamPort: hub.port)
/// defer { relay.close() }
/// // talk to http://127.0.0.1:\(relay.port), then read relay.bytesRelayed
/// ```
package final class TCPRelay: Sendable {
    /// Which way a chunk of bytes is going.
    package enum Direction: Sendable {
        case toUpstream
        case toClient
    }

    /// The port the relay listens on.
    package let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let counted = Atomic<Int>(0)
    private let cut: @Sendable (Direction, Int) -> Bool

    /// Starts listening on a free port.
    ///
    /// - Parameter cut: asked before each chunk read from either side is passed on, with its
    ///   size; `true` drops the chunk and closes both sides of that connection, as a link that
    ///   drops does. Never, by default.
    package init(upstreamPort: Int, cut: @escaping @Sendable (Direction, Int) -> Bool = { _, _ in false }) throws {
        self.upstreamPort = upstreamPort
        self.cut = cut
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        DedicatedThread.startOrCrash { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                DedicatedThread.startOrCrash { self.serve(client) }
            }
        }
    }

    /// Bytes passed on so far, both directions.
    package var bytesRelayed: Int { counted.load(ordering: .relaxed) }

    /// Stops accepting connections; open ones run to their end.
    package func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private func serve(_ client: Int32) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(client)
            Glibc.close(upstream)
            return
        }
        let otherWay = DispatchSemaphore(value: 0)
        DedicatedThread.startOrCrash {
            self.pump(from: client, to: upstream, .toUpstream)
            otherWay.signal()
        }
        pump(from: upstream, to: client, .toClient)
        otherWay.wait()
        Glibc.close(client)
        Glibc.close(upstream)
    }

    /// Copies bytes until either side closes or ``cut`` says so, then shuts both down, which
    /// stops the other direction's pump too. ``serve`` closes the two descriptors once both
    /// pumps are done: closing them here as well closed each twice, and the second close could
    /// hit a descriptor number the process had reused meanwhile (seen as EBADF in a test).
    private func pump(from source: Int32, to destination: Int32, _ direction: Direction) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count <= 0 || cut(direction, count) { break }
            counted.add(count, ordering: .relaxed)
            var sent = 0
            while sent < count {
                let written = buffer[sent..<count].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                sent += written
            }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
