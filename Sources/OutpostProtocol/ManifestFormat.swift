public import OutpostCore

/// How a file's content is named on the wire, which the hub reads too (to check a pushed
/// `files` row's content is there, and to know which chunks live files still reach).
///
/// The `files.chunks` column is a JSON array of the hashes of the file's *manifest* chunks. Their
/// plain bytes, in order, are the manifest: for each data chunk of the file, its SHA-256 (32
/// bytes) then its length (4 bytes, big-endian).
public enum ManifestFormat {
    /// 32 bytes of hash and 4 of length an entry.
    public static let entryBytes = 36

    /// The manifest chunks' hashes a `files.chunks` value lists; anything that is not a
    /// well-formed hash is left out.
    public static func manifestHashes(inChunkList text: String) -> [String] {
        guard case .array(let items)? = try? JSONValue(parsing: text) else { return [] }
        return items.compactMap(\.stringValue).filter(ChunkFrame.isWellFormedHash)
    }

    /// The data chunks (hash and length, in order) that a manifest's plain bytes spell.
    ///
    /// - Throws: ``OutpostError`` `.storage` when the bytes are not whole entries.
    public static func entries(_ bytes: [UInt8]) throws(OutpostError) -> [(hash: String, length: Int)] {
        guard bytes.count % entryBytes == 0 else {
            throw OutpostError(.storage, "A file's chunk list is damaged (\(bytes.count) bytes is not whole entries).")
        }
        var entries: [(hash: String, length: Int)] = []
        entries.reserveCapacity(bytes.count / entryBytes)
        var offset = 0
        while offset < bytes.count {
            let hash = Hex.encode(bytes[offset..<offset + 32])
            let length =
                Int(bytes[offset + 32]) << 24 | Int(bytes[offset + 33]) << 16 | Int(bytes[offset + 34]) << 8
                | Int(bytes[offset + 35])
            entries.append((hash, length))
            offset += entryBytes
        }
        return entries
    }
}
