package import OutpostCore

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
    package static let entryBytes = 36
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

    /// The manifest that `bytes` (its chunks' plain bytes, in order) spell.
    package init(decoding bytes: [UInt8]) throws(OutpostError) {
        guard bytes.count % Self.entryBytes == 0 else {
            throw OutpostError(.storage, "A file's chunk list is damaged (\(bytes.count) bytes is not whole entries).")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(bytes.count / Self.entryBytes)
        var offset = 0
        while offset < bytes.count {
            let hash = Hex.encode(bytes[offset..<offset + 32])
            let length =
                Int(bytes[offset + 32]) << 24 | Int(bytes[offset + 33]) << 16 | Int(bytes[offset + 34]) << 8
                | Int(bytes[offset + 35])
            entries.append(Entry(hash: hash, length: length))
            offset += Self.entryBytes
        }
        self.entries = entries
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
