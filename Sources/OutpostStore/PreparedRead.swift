import Foundation
package import GRDB
import GRDBSQLite

/// A one-row query prepared once and run many times, its values bound and read with SQLite's
/// own calls: the read-side twin of ``PreparedWrite``, for the rows a push reads one by one.
///
/// Values read exactly as GRDB reads them, except that text is taken whole by its length
/// (GRDB stops at a U+0000; callers that must refuse such text ask SQLite about it first).
package struct PreparedRead {
    private let statement: Statement
    private let db: Database

    /// Prepares `sql` on `db`'s connection; run it only inside the same access to `db`.
    package init(_ sql: String, in db: Database) throws {
        statement = try db.makeStatement(sql: sql)
        self.db = db
    }

    /// The first row's values, column by column; `nil` when the query finds no row.
    package func row(_ values: [DatabaseValue]) throws -> [DatabaseValue]? {
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
        defer { sqlite3_reset(raw) }
        for (index, value) in values.enumerated() {
            let code = PreparedWrite.bind(value, at: Int32(index + 1), to: raw)
            guard code == SQLITE_OK else { throw PreparedWrite.failure(code, of: statement, in: db) }
        }
        switch sqlite3_step(raw) {
        case SQLITE_ROW:
            return (0..<sqlite3_column_count(raw)).map { Self.value(at: $0, of: raw) }
        case SQLITE_DONE:
            return nil
        case let code:
            throw PreparedWrite.failure(code, of: statement, in: db)
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
}
