package import OutpostCore
import OutpostProtocol

/// A file's content as the ordered list of its data chunks (hash and length), itself cut into
/// content-defined chunks, so an edit in a large file changes one or two manifest chunks rather
/// than the whole list: the row that syncs carries only the manifest chunks' hashes.
package struct FileManifest: Sendable, Equatable {
    package struct Entry: Sendable, Equatable {
        package var hash: String
        package var length: Int
    }

    package var entries: [Entry]

    /// 32 bytes of hash and 4 of length an entry.
    package static let entryBytes = ManifestFormat.entryBytes
    /// Manifest chunks average 2 KiB (about 57 entries).
    package static let chunker = ContentDefinedChunker(averageSize: 2 << 10)

    package init(entries: [Entry]) {
        self.entries = entries
    }

    /// The entries as bytes: hash, then length big-endian, for each.
    package func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * Self.entryBytes)
        for entry in entries {
            bytes += Hex.decode(entry.hash) ?? []
            let length = UInt32(entry.length)
            bytes += [
                UInt8(length >> 24), UInt8((length >> 16) & 255), UInt8((length >> 8) & 255), UInt8(length & 255),
            ]
        }
        return bytes
    }

    /// The manifest that `bytes` (its chunks' plain bytes, in order) spell (``ManifestFormat``).
    package init(decoding bytes: [UInt8]) throws(OutpostError) {
        entries = try ManifestFormat.entries(bytes).map { Entry(hash: $0.hash, length: $0.length) }
    }

    /// The manifest's bytes cut into chunks.
    package func chunks() -> [[UInt8]] {
        let bytes = encoded()
        return bytes.withUnsafeBytes { raw in
            var offset = 0
            return Self.chunker.lengths(of: raw).map { length in
                defer { offset += length }
                return Array(bytes[offset..<offset + length])
            }
        }
    }

    package var size: Int { entries.reduce(0) { $0 + $1.length } }
}
