import Foundation
package import GRDB
import GRDBSQLite

/// A statement prepared once and run many times, its values bound (and a query's row read)
/// with SQLite's own calls.
///
/// GRDB's `StatementArguments`, made from `[DatabaseValue]` for every execution, took a third
/// of a pulled row's apply in a profile (a generic map that is not specialised across
/// modules), and its row fetch with its arguments 38 % of a push's planning. A page of pulled
/// rows, or a batch of pushed ones, runs the same few statements a thousand times, so it
/// prepares them once with this. Values bind and read as GRDB binds and reads them: text as
/// its UTF-8 bytes, an empty text or BLOB as empty (never NULL) — except that text is read
/// whole by its length, where GRDB stops at a U+0000 (callers that must refuse such text read
/// with ``rowNotingNUL(_:)``).
package struct PreparedStatement {
    private let statement: Statement
    private let db: Database

    /// Prepares `sql` on `db`'s connection; run it only inside the same access to `db`.
    package init(_ sql: String, in db: Database) throws {
        statement = try db.makeStatement(sql: sql)
        self.db = db
    }

    /// `sql` from the connection's statement cache, prepared the first time: for a statement that
    /// costs to compile (a hundred rows of `VALUES`) and is run in transaction after transaction.
    package init(cached sql: String, in db: Database) throws {
        statement = try db.cachedStatement(sql: sql)
        self.db = db
    }

    /// Binds `values` to the statement's parameters in order and runs it to its end.
    ///
    /// - Throws: `DatabaseError` as GRDB would (a `SQLITE_CONSTRAINT` for a refused row).
    package func run(_ values: [DatabaseValue]) throws {
        _ = try step(values) { _ in () }
    }

    /// The first row's values, column by column; `nil` when the query finds no row.
    package func row(_ values: [DatabaseValue]) throws -> [DatabaseValue]? {
        try step(values) { raw in (0..<sqlite3_column_count(raw)).map { Self.value(at: $0, of: raw) } }
    }

    /// ``row(_:)``, and whether any text it read holds U+0000, seen in the bytes SQLite hands
    /// over: cheaper than asking SQLite with an expression per column, which copies every text
    /// to search it.
    package func rowNotingNUL(_ values: [DatabaseValue]) throws -> (values: [DatabaseValue], holdsNUL: Bool)? {
        try step(values) { raw in
            var holdsNUL = false
            let row = (0..<sqlite3_column_count(raw)).map { column in
                if !holdsNUL, sqlite3_column_type(raw, column) == SQLITE_TEXT,
                    let text = sqlite3_column_text(raw, column),
                    memchr(text, 0, Int(sqlite3_column_bytes(raw, column))) != nil
                {
                    holdsNUL = true
                }
                return Self.value(at: column, of: raw)
            }
            return (row, holdsNUL)
        }
    }

    /// Binds `values`, takes one step, and reads the row it found with `read`; `nil` when the
    /// step found none. The statement is reset and its values unbound afterwards, so it holds no
    /// lock and no pointer into freed memory between runs.
    ///
    /// Texts and BLOBs are copied side by side into one buffer that SQLite reads in place
    /// (`SQLITE_STATIC`) until the step ends. Handing SQLite each value to copy
    /// (`SQLITE_TRANSIENT`) made it allocate and free every value of a hundred-row upsert:
    /// 17 % of a pull's writer in a profile.
    private func step<Row>(_ values: [DatabaseValue], read: (OpaquePointer) -> Row) throws -> Row? {
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.byteCount(of: values), alignment: 1)
        defer {
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
            bytes.deallocate()
        }
        var offset = 0
        for (index, value) in values.enumerated() {
            let code = Self.bind(value, at: Int32(index + 1), to: raw, copyingInto: bytes, at: &offset)
            guard code == SQLITE_OK else { throw failure(code) }
        }
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return read(raw)
        case SQLITE_DONE: return nil
        case let code: throw failure(code)
        }
    }

    /// The buffer ``step(_:read:)`` needs for `values`' texts and BLOBs, and one byte more, so
    /// that an empty text has an address to bind: a null pointer would bind NULL.
    private static func byteCount(of values: [DatabaseValue]) -> Int {
        var count = 1
        for value in values {
            switch value.storage {
            case .string(let text): count += text.utf8.count
            case .blob(let data): count += data.count
            case .null, .int64, .double: break
            }
        }
        return count
    }

    /// Binds one value at a 1-based position, a text's or BLOB's bytes copied into `buffer` at
    /// `offset` (which it advances) and bound there without SQLite copying them again (no
    /// destructor: `SQLITE_STATIC`).
    private static func bind(
        _ value: DatabaseValue,
        at position: Int32,
        to raw: OpaquePointer,
        copyingInto buffer: UnsafeMutableRawBufferPointer,
        at offset: inout Int
    ) -> Int32 {
        switch value.storage {
        case .null:
            return sqlite3_bind_null(raw, position)
        case .int64(let integer):
            return sqlite3_bind_int64(raw, position, integer)
        case .double(let double):
            return sqlite3_bind_double(raw, position, double)
        case .string(var text):
            let start = buffer.baseAddress!.advanced(by: offset)
            let count = text.withUTF8 { utf8 in
                if let source = utf8.baseAddress { start.copyMemory(from: source, byteCount: utf8.count) }
                return utf8.count
            }
            offset += count
            return sqlite3_bind_text(raw, position, start.assumingMemoryBound(to: CChar.self), Int32(count), nil)
        case .blob(let data):
            guard !data.isEmpty else { return sqlite3_bind_zeroblob(raw, position, 0) }
            let start = offset
            data.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<start + data.count]))
            offset += data.count
            return sqlite3_bind_blob(raw, position, buffer.baseAddress!.advanced(by: start), Int32(data.count), nil)
        }
    }

    private static func value(at column: Int32, of raw: OpaquePointer) -> DatabaseValue {
        switch sqlite3_column_type(raw, column) {
        case SQLITE_INTEGER:
            return sqlite3_column_int64(raw, column).databaseValue
        case SQLITE_FLOAT:
            return sqlite3_column_double(raw, column).databaseValue
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(raw, column) else { return "".databaseValue }
            let count = Int(sqlite3_column_bytes(raw, column))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self).databaseValue
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(raw, column))
            guard count > 0, let bytes = sqlite3_column_blob(raw, column) else { return Data().databaseValue }
            return Data(bytes: bytes, count: count).databaseValue
        default:
            return .null
        }
    }

    /// SQLite's error for `code`, as GRDB reports it; read before the statement is reset.
    private func failure(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
            sql: statement.sql
        )
    }
}
