public import OutpostCore

/// Folds a table's rows, streamed in any order, into the ``DigestAnswer`` for one request.
///
/// The hub feeds it every row of the table as its database returns them; only rows whose key
/// falls in the range have their columns parsed and hashed, so a narrowed request costs one
/// scan of keys plus the work for the rows it asks about.
public struct DigestAccumulator {
    public let request: DigestRequest
    private var buckets: [DigestAnswer.Bucket]
    private var listed: [DigestAnswer.Row] = []
    private var overflowed = false
    private let sequence: Int64

    /// - Parameter sequence: the tenant's newest sequence number, read before the rows.
    public init(_ request: DigestRequest, sequence: Int64) {
        self.request = request
        self.sequence = sequence
        buckets = Array(repeating: DigestAnswer.Bucket(), count: request.buckets)
    }

    /// Adds one row; `data` is called only when the key is in range and the row is live.
    public mutating func add(
        key: String,
        version: Int64,
        sequence: Int64,
        deleted: Bool,
        data: () throws -> JSONValue?
    ) rethrows {
        let keyHash = RowFingerprint.keyHash(key)
        guard request.range.contains(keyHash) else { return }
        var hash: UInt64?
        if !deleted, let value = try data() {
            let rowHash = RowFingerprint.rowHash(key: key, data: value, columns: request.columns)
            buckets[request.range.bucket(of: keyHash, count: request.buckets)].add(rowHash)
            hash = rowHash
        }
        guard !overflowed else { return }
        if listed.count == request.rowsUpTo {
            overflowed = true
            listed = []
        } else {
            listed.append(DigestAnswer.Row(key: key, hash: hash, version: version, sequence: sequence))
        }
    }

    /// The answer: the rows when they fitted, else the buckets.
    public var answer: DigestAnswer {
        overflowed
            ? DigestAnswer(sequence: sequence, buckets: buckets)
            : DigestAnswer(sequence: sequence, rows: listed.sorted { $0.key < $1.key })
    }
}
