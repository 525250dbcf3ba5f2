package import GRDB

/// Where a chunk's stored bytes are: `length` bytes at `offset` of a pack file, or a file of
/// their own for a chunk kept before packs (`pack` nil).
package struct ChunkLocation: Sendable, Equatable {
    /// The pack's name (`DIR/packs/NAME.pack`); nil for a chunk in a file of its own.
    package var pack: String?
    package var offset: Int64
    package var length: Int
    /// The stored form's flags byte as `outpost_chunks` records it (nil when not looked up): 0
    /// means the bytes after it are the plain chunk, so a reader may take them as they are.
    package var storedFlags: UInt8?

    package init(pack: String?, offset: Int64, length: Int, storedFlags: UInt8? = nil) {
        self.pack = pack
        self.offset = offset
        self.length = length
        self.storedFlags = storedFlags
    }

    /// Whether the bytes after the flags byte are the plain chunk (not deflated, not sealed,
    /// not a delta), in a pack.
    var holdsPlainBytes: Bool { pack != nil && storedFlags == 0 && length >= 1 }

    /// The location `outpost_chunks` records for `hash`; nil when the chunk has no row.
    package static func lookup(_ hash: String, in db: Database) throws -> ChunkLocation? {
        let statement = try db.cachedStatement(
            sql: "SELECT pack, pack_offset, stored_size, flags FROM outpost_chunks WHERE hash = ?"
        )
        guard let row = try Row.fetchOne(statement, arguments: [hash]) else { return nil }
        let flags: Int? = row[3]
        return ChunkLocation(
            pack: row[0],
            offset: row[1] ?? 0,
            length: row[2],
            storedFlags: flags.flatMap { UInt8(exactly: $0) }
        )
    }
}
