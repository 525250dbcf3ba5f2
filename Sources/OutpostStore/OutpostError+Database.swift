import GRDB
import OutpostCore

extension OutpostError {
    /// Turns an SQLite failure into one clear message: what failed, why, what to do.
    ///
    /// An ``OutpostError`` passes through unchanged. SQLite's own message is kept (it names
    /// tables and columns, never values, since GRDB does not publish statement arguments), and
    /// the `DatabaseError` becomes the ``OutpostError/cause``.
    package init(database error: any Error, path: String) {
        if let error = error as? OutpostError {
            self = error
            return
        }
        guard let error = error as? DatabaseError else {
            self.init(.storage, "The store at \(path) failed: \(error).", cause: error)
            return
        }
        defer { cause = error }
        let reason = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_READONLY:
            self.init(
                .storage,
                "The store at \(path) is read-only (\(reason)); nothing was written. "
                    + "Give Outpost write access to the file and its folder, or use a writable --home."
            )
        case .SQLITE_FULL:
            self.init(
                .storage,
                "The disk holding \(path) is full; nothing was written. Free some space and try again."
            )
        case .SQLITE_CANTOPEN, .SQLITE_PERM:
            self.init(
                .storage,
                "Cannot open the store at \(path) (\(reason)). Check that the folder exists and is writable."
            )
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            self.init(
                .storage,
                "The file \(path) is not a healthy SQLite store (\(reason)).",
                remedy: .restoreOrRecreateStore
            )
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self.init(
                .storage,
                "The store at \(path) is locked by another process (\(reason)). Try again when it is done."
            )
        case .SQLITE_CONSTRAINT:
            self.init(.invalidInput, "The change breaks a rule of the schema: \(reason). Nothing was written.")
        case .SQLITE_ERROR:
            self.init(.invalidInput, "SQLite refused the statement: \(reason). Nothing was written.")
        default:
            self.init(.storage, "The store at \(path) failed: \(reason). Nothing was written.")
        }
    }
}
