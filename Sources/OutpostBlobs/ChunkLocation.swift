package import GRDB

/// Where a chunk's stored bytes are: `length` bytes at `offset` of a pack file, or a file of
/// their own for a chunk kept before packs (`pack` nil).
package struct ChunkLocation: Sendable, Equatable {
    /// The pack's name (`DIR/packs/NAME.pack`); nil for a chunk in a file of its own.
    package var pack: String?
    package var offset: Int64
    package var length: Int

    package init(pack: String?, offset: Int64, length: Int) {
        self.pack = pack
        self.offset = offset
        self.length = length
    }

    /// The location `outpost_chunks` records for `hash`; nil when the chunk has no row.
    package static func lookup(_ hash: String, in db: Database) throws -> ChunkLocation? {
        let statement = try db.cachedStatement(
            sql: "SELECT pack, pack_offset, stored_size FROM outpost_chunks WHERE hash = ?"
        )
        guard let row = try Row.fetchOne(statement, arguments: [hash]) else { return nil }
        return ChunkLocation(pack: row[0], offset: row[1] ?? 0, length: row[2])
    }
}
