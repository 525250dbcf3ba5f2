import Crypto
import OutpostCore
import OutpostProtocol

extension PushBatch {
    /// A SHA-256 of what identifies each change, in order (its id, table, key, operation, base
    /// version, partial flag and stamp): a batch pushed again with the same `batch_id` must
    /// match it to get the stored answer. Comparing only the number of changes let a reused id
    /// with other changes of the same count be answered "applied" while nothing was written.
    /// Row texts are left out: a client may spell the same row differently when it retries (key
    /// order), and change ids already differ between different changes.
    var digest: String {
        var hasher = SHA256()
        for change in changes {
            for field in [
                change.id, change.table, change.key, change.operation.rawValue, "\(change.baseVersion)",
                "\(change.partial)", "\(change.hlc)",
            ] {
                // Length-prefixed, so no two different batches feed the same bytes.
                hasher.update(data: Array("\(field.utf8.count):".utf8) + Array(field.utf8))
            }
            // Only when sent, so the digests of batches without writers stay as they were.
            if let origin = change.origin { hasher.update(data: Array("origin \(origin.utf8.count):\(origin)".utf8)) }
        }
        return hasher.finalize().map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
