public import Foundation
import GRDB
public import OutpostCore

/// Backup and restore of a SQLite hub's database (`outpost hub backup` / `hub restore`); a
/// PostgreSQL hub is backed up with PostgreSQL's own tools (docs/deploy.md).
///
/// Both go through SQLite's online backup: a backup is one committed state, taken while a hub
/// serves; a restore replaces the database's pages in one transaction (the hub should be
/// stopped: it keeps some state in memory). After a restore every tenant gets a new
/// epoch (``HubStorage/renewEpoch(tenant:)``): the hub has lost what it acknowledged after the
/// backup, and each node, seeing the new epoch, fetches everything again and pushes what the
/// hub lost.
public enum SQLiteHubBackup {
    /// Copies the hub's database at `databasePath` to a new file at `target`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when there is no hub database, `.alreadyExists`
    ///   when `target` exists, `.storage` when the copy cannot be written (nothing is left at
    ///   `target` then).
    public static func backUp(databasePath: String, to target: String) throws(OutpostError) -> Int64 {
        try requireHub(databasePath)
        guard !FileManager.default.fileExists(atPath: target) else {
            throw OutpostError(
                .alreadyExists,
                "\(target) exists; a backup never overwrites a file. Choose another name or move it away.",
                details: ["path": target]
            )
        }
        let partial = target + ".partial-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        do {
            let source = try DatabasePool(path: databasePath, configuration: configuration())
            let copy = try DatabaseQueue(path: partial)
            try source.backup(to: copy)
            try copy.close()
            try source.close()
        } catch {
            throw OutpostError(.storage, "Cannot back up the hub database \(databasePath): \(error).")
        }
        guard rename(partial, target) == 0 else {
            throw OutpostError(
                .storage,
                "Cannot move the backup into place at \(target): \(String(cString: strerror(errno))).",
                details: ["path": target]
            )
        }
        return (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Replaces the content of the hub's database at `databasePath` (created when missing) by
    /// the backup at `source`, after checking that it is a sound hub database. The caller
    /// renews every tenant's epoch next.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for a missing backup, `.invalidInput` for a file
    ///   that is not a sound hub database (nothing is changed then).
    public static func restore(databasePath: String, from source: String) throws(OutpostError) {
        guard FileManager.default.isReadableFile(atPath: source) else {
            throw OutpostError(.notFound, "Cannot read the backup \(source).", details: ["path": source])
        }
        let backup: DatabaseQueue
        do {
            var readOnly = Configuration()
            readOnly.readonly = true
            backup = try DatabaseQueue(path: source, configuration: readOnly)
            let (check, isHub) = try backup.read { db in
                (try String.fetchOne(db, sql: "PRAGMA quick_check"), try db.tableExists("outpost_tenants"))
            }
            guard check == "ok", isHub else {
                throw OutpostError(
                    .invalidInput,
                    "\(source) is not a sound hub backup: "
                        + (isHub ? "SQLite's check says \(check ?? "nothing")." : "it has no hub tables.")
                        + " Nothing was restored.",
                    details: ["path": source]
                )
            }
        } catch let error as OutpostError {
            throw error
        } catch {
            throw OutpostError(
                .invalidInput,
                "\(source) is not a readable SQLite database: \(error). Nothing was restored.",
                details: ["path": source]
            )
        }
        do {
            try FileManager.default.createDirectory(
                atPath: (databasePath as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            let destination = try DatabasePool(path: databasePath, configuration: configuration())
            try backup.backup(to: destination)
            try destination.close()
            try backup.close()
        } catch {
            throw OutpostError(.storage, "Cannot restore into the hub database \(databasePath): \(error).")
        }
    }

    private static func requireHub(_ databasePath: String) throws(OutpostError) {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw OutpostError(
                .notFound,
                "No hub database at \(databasePath); is --home (or --database) the hub's?",
                details: ["path": databasePath]
            )
        }
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return configuration
    }
}
