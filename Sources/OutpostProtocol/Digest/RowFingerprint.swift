import Crypto
public import OutpostCore

/// The 64-bit hashes `outpost verify` compares: where a key falls, and what a row holds.
///
/// The node and the hub compute them with this one code from the row as the wire carries it,
/// so two copies of a row hash alike exactly when every column the node asked about holds the
/// same value of the same type (a REAL 1.0 is not the INTEGER 1; a BLOB is not its base64).
public enum RowFingerprint {
    /// Where `key` falls in the key-hash space the digest buckets divide.
    public static func keyHash(_ key: String) -> UInt64 {
        leading64(SHA256.hash(data: Array(key.utf8)))
    }

    /// The hash of `key` with the values of `columns` in `data`; a column the row lacks counts as
    /// null, so a hub row written before a column existed matches a node row holding NULL there.
    public static func rowHash(key: String, data: JSONValue, columns: [String]) -> UInt64 {
        var members: [String: JSONValue] = [:]
        members.reserveCapacity(columns.count)
        for column in columns { members[column] = data[column] ?? .null }
        var hasher = SHA256()
        hasher.update(data: Array(key.utf8))
        hasher.update(data: [0])
        hasher.update(data: JSONValue.object(members).encodedBytes())
        return leading64(hasher.finalize())
    }

    private static func leading64(_ digest: SHA256.Digest) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
