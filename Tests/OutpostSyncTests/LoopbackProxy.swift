import Foundation
import Synchronization

/// A TCP proxy on 127.0.0.1 between a node and the hub that can lose answers: with
/// ``cutNextAnswers(_:)`` set, the hub's next answers are swallowed and the node's connection is
/// closed, exactly as when a link drops after the hub committed.
final class LoopbackProxy: Sendable {
    let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let answersToCut = Mutex(0)
    private let answersToPass = Mutex(0)
    /// With a value, the hub's bytes pass until this many more have gone, then the link is cut.
    private let bytesToPass = Mutex<Int?>(nil)
    private let cutCount = Mutex(0)

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
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
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                Thread.detachNewThread { self.serve(client) }
            }
        }
    }

    /// The next `count` answers from the hub never reach the node.
    func cutNextAnswers(_ count: Int) { answersToCut.withLock { $0 = count } }

    /// Lets `count` more bytes of the hub's answers through, then cuts the connection (once).
    func cutAfter(bytes count: Int) { bytesToPass.withLock { $0 = count } }

    /// Lets the next `passing` answers through, then cuts the `count` after them.
    func cutAnswers(_ count: Int, afterPassing passing: Int) {
        answersToPass.withLock { $0 = passing }
        answersToCut.withLock { $0 = count }
    }

    /// How many answers were cut so far.
    var answersCut: Int { cutCount.withLock { $0 } }

    func close() {
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
        Thread.detachNewThread {
            Self.pump(from: client, to: upstream, cut: nil)
            otherWay.signal()
        }
        defer {
            otherWay.wait()
            Glibc.close(client)
            Glibc.close(upstream)
        }
        Self.pump(from: upstream, to: client) { [self] count in
            let cutByBytes = bytesToPass.withLock { remaining -> Bool in
                guard let left = remaining else { return false }
                if count <= left {
                    remaining = left - count
                    return false
                }
                remaining = nil
                return true
            }
            if cutByBytes {
                cutCount.withLock { $0 += 1 }
                return true
            }
            let passed = answersToPass.withLock { remaining in
                guard remaining > 0 else { return false }
                remaining -= 1
                return true
            }
            if passed { return false }
            return answersToCut.withLock { remaining in
                guard remaining > 0 else { return false }
                remaining -= 1
                cutCount.withLock { $0 += 1 }
                return true
            }
        }
    }

    /// Copies bytes until either side closes; `cut` may decide to drop a chunk and close both.
    private static func pump(from source: Int32, to destination: Int32, cut: ((Int) -> Bool)?) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count <= 0 || cut?(count) == true { break }
            var sent = 0
            while sent < count {
                let written = buffer[sent..<count].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                sent += written
            }
        }
        // Shut both down so the other direction's pump stops too; `serve` closes the two
        // descriptors once both pumps are done. Closing them here as well closed each twice,
        // and the second close could hit a descriptor number the process had reused meanwhile
        // (seen as EBADF in an unrelated file write of a test).
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
