import Foundation
package import GRDB
import GRDBSQLite

/// A write statement prepared once and run many times, its values bound with SQLite's own
/// calls.
///
/// GRDB's `StatementArguments`, made from `[DatabaseValue]` for every execution, took a third
/// of a pulled row's apply in a profile (a generic map that is not specialised across
/// modules). A page of pulled rows runs the same few statements a thousand times, so it
/// prepares them once with this and binds directly. Values bind exactly as GRDB would store
/// them: text as its UTF-8 bytes, an empty text or BLOB as empty (never NULL).
package struct PreparedWrite {
    private let statement: Statement
    private let db: Database

    /// Prepares `sql` on `db`'s connection; run it only inside the same access to `db`.
    package init(_ sql: String, in db: Database) throws {
        statement = try db.makeStatement(sql: sql)
        self.db = db
    }

    /// Binds `values` to the statement's parameters in order and runs it to its end.
    ///
    /// - Throws: `DatabaseError` as GRDB would (a `SQLITE_CONSTRAINT` for a refused row).
    package func run(_ values: [DatabaseValue]) throws {
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
        for (index, value) in values.enumerated() {
            let code = Self.bind(value, at: Int32(index + 1), to: raw)
            guard code == SQLITE_OK else { throw Self.failure(code, of: statement, in: db) }
        }
        let code = sqlite3_step(raw)
        guard code == SQLITE_DONE else {
            let error = Self.failure(code, of: statement, in: db)
            sqlite3_reset(raw)
            throw error
        }
        sqlite3_reset(raw)
    }

    /// Binds one value at a 1-based position. SQLite copies what it is given
    /// (`SQLITE_TRANSIENT`), so no buffer must outlive the call.
    static func bind(_ value: DatabaseValue, at position: Int32, to raw: OpaquePointer) -> Int32 {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        switch value.storage {
        case .null:
            return sqlite3_bind_null(raw, position)
        case .int64(let integer):
            return sqlite3_bind_int64(raw, position, integer)
        case .double(let double):
            return sqlite3_bind_double(raw, position, double)
        case .string(var text):
            return text.withUTF8 { bytes in
                // A null pointer would bind NULL: an empty text is bound as "" instead.
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite3_bind_text(raw, position, "", 0, transient)
                }
                let characters = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
                return sqlite3_bind_text(raw, position, characters, Int32(bytes.count), transient)
            }
        case .blob(let data):
            guard !data.isEmpty else { return sqlite3_bind_zeroblob(raw, position, 0) }
            return data.withUnsafeBytes { bytes in
                sqlite3_bind_blob(raw, position, bytes.baseAddress, Int32(bytes.count), transient)
            }
        }
    }

    /// SQLite's error for `code`, as GRDB reports it; read before the statement is reset.
    static func failure(_ code: Int32, of statement: Statement, in db: Database) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
            sql: statement.sql
        )
    }
}
