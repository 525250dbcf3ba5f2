import OutpostSystem
import OutpostTesting
import Synchronization

/// A ``TCPRelay`` between a node and the hub that can lose answers: with
/// ``cutNextAnswers(_:)`` set, the hub's next answers are swallowed and the node's connection is
/// closed, exactly as when a link drops after the hub committed.
final class LoopbackProxy: Sendable {
    private let relay: TCPRelay
    private let faults: Faults

    /// What is still to be cut; the relay asks it about every chunk the hub sends.
    private final class Faults: Sendable {
        let answersToCut = Mutex(0)
        let answersToPass = Mutex(0)
        /// With a value, the hub's bytes pass until this many more have gone, then the link is cut.
        let bytesToPass = Mutex<Int?>(nil)
        let cutCount = Mutex(0)

        /// Whether the hub's next `count` bytes are cut.
        func cuts(_ count: Int) -> Bool {
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

    init(upstreamPort: Int) throws {
        let faults = Faults()
        self.faults = faults
        relay = try TCPRelay(upstreamPort: upstreamPort) { direction, count in
            direction == .toClient && faults.cuts(count)
        }
    }

    var port: Int { relay.port }

    /// The next `count` answers from the hub never reach the node.
    func cutNextAnswers(_ count: Int) { faults.answersToCut.withLock { $0 = count } }

    /// Lets `count` more bytes of the hub's answers through, then cuts the connection (once).
    func cutAfter(bytes count: Int) { faults.bytesToPass.withLock { $0 = count } }

    /// Lets the next `passing` answers through, then cuts the `count` after them.
    func cutAnswers(_ count: Int, afterPassing passing: Int) {
        faults.answersToPass.withLock { $0 = passing }
        faults.answersToCut.withLock { $0 = count }
    }

    /// How many answers were cut so far.
    var answersCut: Int { faults.cutCount.withLock { $0 } }

    func close() { relay.close() }
}
