import GRDB
public import OutpostCore

extension Store {
    /// Copies the store to a new SQLite file at `path` through SQLite's online backup: a
    /// consistent snapshot (one committed state) taken while other processes keep writing.
    ///
    /// - Throws: ``OutpostError`` `.storage` when the copy cannot be written.
    public func backUp(to path: String) throws(OutpostError) {
        do {
            let copy = try DatabaseQueue(path: path)
            try pool.backup(to: copy)
            try copy.close()
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// Prepares a store just restored from a backup for its first sync, and records where it
    /// came from: every tracked table is fetched again from the hub (rows this node pushed
    /// after the backup come back; rows that differ are repaired by the usual rules). Change
    /// and batch ids are never reused: both are UUIDv7, taken from the clock when made, and
    /// a batch in flight at the backup is sent again with its own id and content, which the
    /// hub answers as before if it had it.
    ///
    /// - Returns: the tracked tables that will be fetched again.
    public func prepareRestored(backupTakenAt: String) throws(OutpostError) -> [String] {
        let tables = try requestResync(tables: nil)
        try write { db in
            try Self.setSetting("restored_from_backup_taken_at", to: backupTakenAt, in: db)
        }
        return tables
    }

    /// Checks that the file is an SQLite database SQLite finds sound (`PRAGMA quick_check`).
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` naming what is wrong.
    public static func checkIntegrity(of path: String) throws(OutpostError) {
        let verdict: String?
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            verdict = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            try queue.close()
        } catch {
            throw OutpostError(.invalidInput, "\(path) is not a readable SQLite database: \(error).")
        }
        guard verdict == "ok" else {
            throw OutpostError(.invalidInput, "\(path) is damaged: SQLite's check says \(verdict ?? "nothing").")
        }
    }
}
