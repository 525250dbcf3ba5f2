import Foundation
package import GRDB
import OutpostCore
import OutpostStore

/// What a site hub's relay remembers between rounds and across restarts, in a SQLite file of
/// its own beside the hub's data (`upstream.sqlite`):
///
/// - the **outbox**: site rows not yet accepted upstream, one entry per row (a newer site
///   change replaces the entry, as a node's outbox coalesces);
/// - the **bases**: for each row, the upstream's version and content the site last agreed
///   with (a node's base rows), and the newest site version the relay has accounted for, so
///   the relay's own writes at the site are not sent back up;
/// - the two **cursors** (site log, upstream log) and the relay's site credential.
///
/// Every step that moves a cursor records what it read in the same transaction, so a relay
/// killed at any point repeats work on restart and never skips it; repeated work is harmless
/// because every change it sends keeps its change id.
package struct RelayLedger: Sendable {
    private let queue: DatabaseQueue

    /// Opens (creating if needed, mode 0600) the ledger at `path`.
    package init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE relay_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE relay_outbox (
                        table_name TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        site_version INTEGER NOT NULL,
                        data TEXT,
                        deleted INTEGER NOT NULL,
                        hlc INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        change_id TEXT NOT NULL,
                        held TEXT,
                        held_against TEXT,
                        decision TEXT,
                        priority INTEGER NOT NULL DEFAULT 5,
                        PRIMARY KEY (table_name, record_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE relay_refused_here (
                        table_name TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        upstream_version INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        PRIMARY KEY (table_name, record_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE relay_upstream_met (
                        table_name TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        PRIMARY KEY (table_name, record_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE relay_bases (
                        table_name TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        upstream_version INTEGER NOT NULL,
                        data TEXT,
                        hlc INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        site_version INTEGER NOT NULL,
                        PRIMARY KEY (table_name, record_id)
                    ) WITHOUT ROWID;
                    """
            )
        }
        try migrator.migrate(queue)
    }

    // MARK: Settings and cursors

    package func setting(_ name: String) throws -> String? {
        try queue.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM relay_settings WHERE name = ?", arguments: [name])
        }
    }

    package func setSetting(_ name: String, to value: String) throws {
        try queue.write { db in try Self.set(name, to: value, in: db) }
    }

    private static func set(_ name: String, to value: String, in db: Database) throws {
        try db.execute(
            sql:
                "INSERT INTO relay_settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            arguments: [name, value]
        )
    }

    /// The site log's and the upstream log's positions the relay has taken in.
    package func cursors() throws -> (site: Int64, upstream: Int64) {
        try queue.read { db in
            let site = try String.fetchOne(db, sql: "SELECT value FROM relay_settings WHERE name = 'site_cursor'")
            let upstream = try String.fetchOne(
                db,
                sql: "SELECT value FROM relay_settings WHERE name = 'upstream_cursor'"
            )
            return (site.flatMap { Int64($0) } ?? 0, upstream.flatMap { Int64($0) } ?? 0)
        }
    }

    // MARK: Restores, at either side

    /// The tenant's epoch at `side` when the relay last read it; nil before the first read. A
    /// hub restored from a backup gives its tenants new epochs.
    package func epoch(of side: RelaySide) throws -> Int64? {
        try setting("\(side.rawValue)_epoch").flatMap { Int64($0) }
    }

    package func setEpoch(_ epoch: Int64, of side: RelaySide) throws {
        try setSetting("\(side.rawValue)_epoch", to: String(epoch))
    }

    /// Whether the relay is reading `side` from the start after it went back in time,
    /// comparing each row with its base.
    package func isComparing(_ side: RelaySide) throws -> Bool {
        try setting("comparing_\(side.rawValue)") == "1"
    }

    /// The upstream was restored: the relay pulls it from the start, comparing each row with its
    /// base, before it pushes again (its bases may name versions the upstream no longer has).
    /// Every base is unmet until the comparison meets its row (``met(_:)``).
    package func upstreamWentBack(epoch: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM relay_upstream_met")
            try Self.set("upstream_epoch", to: String(epoch), in: db)
            try Self.set("upstream_cursor", to: "0", in: db)
            try Self.set("comparing_upstream", to: "1", in: db)
        }
    }

    /// Records that the comparison met these rows at the upstream.
    package func met(_ rows: [(table: String, key: String)]) throws {
        try queue.write { db in
            for row in rows {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO relay_upstream_met (table_name, record_id) VALUES (?, ?)",
                    arguments: [row.table, row.key]
                )
            }
        }
    }

    /// Records what the comparison found for a row the upstream holds at `version`, older than
    /// `base` names: with `pushAgain` (the upstream lost the site's later state) the base takes
    /// the upstream's version and the site's agreed copy is queued to go up again over it
    /// (unless a site change already waits for the row); without (the row was written at the
    /// upstream since), the base forgets its version, so the row comes down or merges as new.
    package func meet(table: String, key: String, version: Int64, base: RelayBase, pushAgain: Bool, changeID: String)
        throws
    {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE relay_bases SET upstream_version = ? WHERE table_name = ? AND record_id = ?",
                arguments: [pushAgain ? version : 0, table, key]
            )
            guard pushAgain else { return }
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO relay_outbox
                        (table_name, record_id, site_version, data, deleted, hlc, origin, change_id, held)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
                    """,
                arguments: [table, key, base.siteVersion, base.data, base.data == nil, base.hlc, base.origin, changeID]
            )
        }
    }

    /// Ends the comparison: a base whose row the restored upstream no longer has at all goes
    /// up again (version 0: the upstream takes it as a new row).
    package func finishComparingUpstream() throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO relay_outbox
                        (table_name, record_id, site_version, data, deleted, hlc, origin, change_id, held)
                    SELECT b.table_name, b.record_id, b.site_version, b.data, b.data IS NULL, b.hlc, b.origin,
                        'lost-upstream-' || b.upstream_version || '-' || hex(randomblob(8)), NULL
                    FROM relay_bases b
                    WHERE b.upstream_version > 0 AND b.data IS NOT NULL AND NOT EXISTS
                        (SELECT 1 FROM relay_upstream_met m WHERE m.table_name = b.table_name AND m.record_id = b.record_id)
                    """
            )
            try db.execute(
                sql: """
                    UPDATE relay_bases SET upstream_version = 0
                    WHERE NOT EXISTS (SELECT 1 FROM relay_upstream_met m
                                      WHERE m.table_name = relay_bases.table_name AND m.record_id = relay_bases.record_id)
                    """
            )
            try db.execute(sql: "DELETE FROM relay_upstream_met")
            try db.execute(sql: "DELETE FROM relay_settings WHERE name = 'comparing_upstream'")
        }
    }

    /// The site hub was restored: its sequence numbers and versions count again from an older
    /// point. The relay forgets the site versions it accounted for (they may be reused for other
    /// content), reads the site from the start, and compares each row with the upstream's until
    /// ``finishComparingSite()``.
    package func siteWentBack(epoch: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE relay_bases SET site_version = 0")
            try db.execute(sql: "UPDATE relay_outbox SET site_version = 0")
            try Self.set("site_epoch", to: String(epoch), in: db)
            try Self.set("site_cursor", to: "0", in: db)
            try Self.set("comparing_site", to: "1", in: db)
        }
    }

    /// Bases whose row the comparison after a restore did not meet at the site.
    package func unaccountedBases() throws -> [(table: String, key: String, base: RelayBase)] {
        try queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM relay_bases b WHERE site_version = 0 AND NOT EXISTS
                        (SELECT 1 FROM relay_outbox o WHERE o.table_name = b.table_name AND o.record_id = b.record_id)
                    """
            ).map { ($0["table_name"], $0["record_id"], RelayBase(row: $0)) }
        }
    }

    /// Entries waiting to go up whose row the comparison after a restore did not meet.
    package func unaccountedEntries() throws -> [RelayEntry] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM relay_outbox WHERE site_version = 0").map(RelayEntry.init(row:))
        }
    }

    package func finishComparingSite() throws {
        try queue.write { db in try db.execute(sql: "DELETE FROM relay_settings WHERE name = 'comparing_site'") }
    }

    /// Records that the site holds `table`/`key` at `siteVersion` as the upstream last agreed.
    package func account(table: String, key: String, siteVersion: Int64) throws {
        try queue.write { db in
            try db.execute(
                sql:
                    "UPDATE relay_bases SET site_version = max(site_version, ?) WHERE table_name = ? AND record_id = ?",
                arguments: [siteVersion, table, key]
            )
        }
    }

    // MARK: The outbox

    /// Records site rows the upstream has not seen (skipping the relay's own writes, which the
    /// bases account for), and the site cursor they were read up to, in one transaction.
    package func collect(_ rows: [RelayEntry], siteCursor: Int64) throws -> Int {
        try queue.write { db in
            var taken = 0
            for row in rows {
                let accounted = try Int64.fetchOne(
                    db,
                    sql: "SELECT site_version FROM relay_bases WHERE table_name = ? AND record_id = ?",
                    arguments: [row.table, row.key]
                )
                if let accounted, row.siteVersion <= accounted { continue }
                try db.execute(
                    sql: """
                        INSERT INTO relay_outbox
                            (table_name, record_id, site_version, data, deleted, hlc, origin, change_id, held, priority)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
                        ON CONFLICT(table_name, record_id) DO UPDATE SET
                            site_version = excluded.site_version, data = excluded.data, deleted = excluded.deleted,
                            hlc = excluded.hlc, origin = excluded.origin, change_id = excluded.change_id, held = NULL,
                            held_against = NULL, decision = NULL, priority = excluded.priority
                        WHERE excluded.site_version > relay_outbox.site_version
                        """,
                    arguments: [
                        row.table, row.key, row.siteVersion, row.data, row.deleted, row.hlc, row.origin, row.changeID,
                        row.priority,
                    ]
                )
                taken += 1
            }
            try Self.set("site_cursor", to: String(siteCursor), in: db)
            return taken
        }
    }

    /// Up to `limit` entries to send upstream, highest priority first, then the oldest site
    /// change; only critical ones with `criticalOnly` (past the daily quota); held entries
    /// (parked for a person, or refused upstream) only when `includingHeld`.
    package func pending(limit: Int, includingHeld: Bool = false, criticalOnly: Bool = false) throws -> [RelayEntry] {
        var conditions: [String] = []
        if !includingHeld { conditions.append("held IS NULL") }
        if criticalOnly { conditions.append("priority >= \(CapturePriority.critical)") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try queue.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM relay_outbox \(filter) ORDER BY priority DESC, site_version LIMIT ?",
                arguments: [limit]
            ).map(RelayEntry.init(row:))
        }
    }

    /// The entry waiting for `table`/`key`, if any.
    package func entry(table: String, key: String) throws -> RelayEntry? {
        try queue.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM relay_outbox WHERE table_name = ? AND record_id = ?",
                arguments: [table, key]
            ).map(RelayEntry.init(row:))
        }
    }

    /// Which of `keys` have an entry waiting to go up.
    package func waiting(among keys: [RowKeyPair]) throws -> Set<RowKeyPair> {
        try queue.read { db in
            var found: Set<RowKeyPair> = []
            for key in keys
            where try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM relay_outbox WHERE table_name = ? AND record_id = ?",
                arguments: [key.table, key.key]
            ) == true {
                found.insert(key)
            }
            return found
        }
    }

    /// The bases of `keys` in one read (a page's or a batch's rows), by row.
    package func bases(of keys: [RowKeyPair]) throws -> [RowKeyPair: RelayBase] {
        try queue.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT * FROM relay_bases WHERE table_name = ? AND record_id = ?"
            )
            var found: [RowKeyPair: RelayBase] = [:]
            for key in keys {
                if let row = try Row.fetchOne(statement, arguments: [key.table, key.key]) {
                    found[key] = RelayBase(row: row)
                }
            }
            return found
        }
    }

    /// Entries waiting, and how many of them are held.
    package func backlog() throws -> (waiting: Int, held: Int) {
        try queue.read { db in
            let waiting = try Int.fetchOne(db, sql: "SELECT count(*) FROM relay_outbox") ?? 0
            let held = try Int.fetchOne(db, sql: "SELECT count(*) FROM relay_outbox WHERE held IS NOT NULL") ?? 0
            return (waiting, held)
        }
    }

    /// Replaces the waiting entry for its row (after a merge the site now holds), or holds it
    /// with a reason a person can read.
    package func replace(_ entry: RelayEntry) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    UPDATE relay_outbox SET site_version = ?, data = ?, deleted = ?, hlc = ?, origin = ?,
                        change_id = ?, held = ?
                    WHERE table_name = ? AND record_id = ?
                    """,
                arguments: [
                    entry.siteVersion, entry.data, entry.deleted, entry.hlc, entry.origin, entry.changeID, entry.held,
                    entry.table, entry.key,
                ]
            )
        }
    }

    /// Records that the upstream holds `base` for the entry's row: the entry leaves the outbox
    /// unless a newer site change replaced it meanwhile.
    package func settle(_ entry: RelayEntry, base: RelayBase) throws {
        try queue.write { db in
            try Self.record(base, table: entry.table, key: entry.key, in: db)
            try db.execute(
                sql: "DELETE FROM relay_outbox WHERE table_name = ? AND record_id = ? AND site_version <= ?",
                arguments: [entry.table, entry.key, entry.siteVersion]
            )
        }
    }

    /// Holds an entry for a person, with the upstream row it met (to carry out their decision).
    package func hold(_ entry: RelayEntry, reason: String, against upstream: RelayBase) throws {
        let against = try String(decoding: JSONEncoder().encode(upstream), as: UTF8.self)
        try queue.write { db in
            try db.execute(
                sql: """
                    UPDATE relay_outbox SET held = ?, held_against = ?, decision = NULL
                    WHERE table_name = ? AND record_id = ? AND site_version = ?
                    """,
                arguments: [reason, against, entry.table, entry.key, entry.siteVersion]
            )
        }
    }

    /// Records a person's decision for the held entry of `table`/`key`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when no entry for the row is held against an
    ///   upstream row (nothing to decide).
    package func decide(table: String, key: String, keep decision: RelayDecision) throws {
        let changed = try queue.write { db in
            try db.execute(
                sql: """
                    UPDATE relay_outbox SET decision = ?
                    WHERE table_name = ? AND record_id = ? AND held IS NOT NULL AND held_against IS NOT NULL
                    """,
                arguments: [decision.rawValue, table, key]
            )
            return db.changesCount
        }
        guard changed > 0 else {
            throw OutpostError(
                .notFound,
                "The relay holds no conflict for \(table)/\(key).",
                remedy: .list(.relayHeld)
            )
        }
    }

    /// Held entries a person decided, with the upstream row each was held against.
    package func decided() throws -> [(RelayEntry, RelayDecision, RelayBase)] {
        try queue.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM relay_outbox WHERE decision IS NOT NULL AND held_against IS NOT NULL"
            ).compactMap { row in
                guard let decision = RelayDecision(rawValue: row["decision"]),
                    let against: String = row["held_against"],
                    let upstream = try? JSONDecoder().decode(RelayBase.self, from: Data(against.utf8))
                else { return nil }
                return (RelayEntry(row: row), decision, upstream)
            }
        }
    }

    /// A decided entry goes up over `base` (the upstream row it was held against).
    package func release(_ entry: RelayEntry, base: RelayBase) throws {
        try queue.write { db in
            var base = base
            base.siteVersion = 0
            try Self.record(base, table: entry.table, key: entry.key, in: db)
            try db.execute(
                sql: """
                    UPDATE relay_outbox SET held = NULL, held_against = NULL, decision = NULL
                    WHERE table_name = ? AND record_id = ?
                    """,
                arguments: [entry.table, entry.key]
            )
        }
    }

    /// After a merge written at the site: the upstream row merged with becomes the base, and
    /// the merged row (the site's newest) waits to go up in place of the entry it replaces.
    package func merged(_ entry: RelayEntry, base: RelayBase) throws {
        try queue.write { db in
            var base = base
            base.siteVersion = entry.siteVersion
            try Self.record(base, table: entry.table, key: entry.key, in: db)
            try db.execute(
                sql: """
                    UPDATE relay_outbox SET site_version = ?, data = ?, deleted = ?, hlc = ?, origin = ?,
                        change_id = ?, held = NULL
                    WHERE table_name = ? AND record_id = ?
                    """,
                arguments: [
                    entry.siteVersion, entry.data, entry.deleted, entry.hlc, entry.origin, entry.changeID,
                    entry.table, entry.key,
                ]
            )
        }
    }

    /// Runs `body` in one write transaction: for ``RelayStatus``'s counters.
    package func write<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.write(body)
    }

    /// Reads in one transaction: for ``RelayStatus``.
    package func read<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }

    // MARK: Upstream rows the site refused

    /// Records an upstream row the site hub refused to hold (a limit of its own), for people.
    package func refusedHere(_ table: String, _ key: String, version: Int64, reason: String) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO relay_refused_here (table_name, record_id, upstream_version, reason) VALUES (?, ?, ?, ?)
                    ON CONFLICT(table_name, record_id) DO UPDATE SET
                        upstream_version = excluded.upstream_version, reason = excluded.reason
                    """,
                arguments: [table, key, version, reason]
            )
        }
    }

    /// Upstream rows the site hub refused, with why.
    package func refusedHere() throws -> [(table: String, key: String, version: Int64, reason: String)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM relay_refused_here ORDER BY table_name, record_id").map {
                ($0["table_name"], $0["record_id"], $0["upstream_version"], $0["reason"])
            }
        }
    }

    // MARK: Bases

    package func base(table: String, key: String) throws -> RelayBase? {
        try queue.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM relay_bases WHERE table_name = ? AND record_id = ?",
                arguments: [table, key]
            ).map(RelayBase.init(row:))
        }
    }

    /// Records the upstream rows applied at the site, and the upstream cursor they were read up
    /// to, in one transaction.
    package func applied(_ bases: [(table: String, key: String, base: RelayBase)], upstreamCursor: Int64) throws {
        try queue.write { db in
            for (table, key, base) in bases { try Self.record(base, table: table, key: key, in: db) }
            try Self.set("upstream_cursor", to: String(upstreamCursor), in: db)
        }
    }

    private static func record(_ base: RelayBase, table: String, key: String, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO relay_bases (table_name, record_id, upstream_version, data, hlc, origin, site_version)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(table_name, record_id) DO UPDATE SET
                    upstream_version = max(upstream_version, excluded.upstream_version),
                    data = CASE WHEN excluded.upstream_version >= upstream_version THEN excluded.data ELSE data END,
                    hlc = CASE WHEN excluded.upstream_version >= upstream_version THEN excluded.hlc ELSE hlc END,
                    origin = CASE WHEN excluded.upstream_version >= upstream_version THEN excluded.origin ELSE origin END,
                    site_version = max(site_version, excluded.site_version)
                """,
            arguments: [table, key, base.upstreamVersion, base.data, base.hlc, base.origin, base.siteVersion]
        )
    }
}

/// The two hubs a relay stands between.
package enum RelaySide: String, Sendable {
    case site, upstream
}

/// What a person decided for a row the relay held: which side's row stands.
package enum RelayDecision: String, Sendable, CaseIterable {
    /// The site's row goes up over the upstream's.
    case site
    /// The upstream's row is written at the site.
    case upstream
}

/// A table and a row key, hashable.
package struct RowKeyPair: Hashable, Sendable {
    package var table: String
    package var key: String

    package init(table: String, key: String) {
        self.table = table
        self.key = key
    }
}

/// A site row waiting to go upstream: the site's newest content for it when collected.
package struct RelayEntry: Sendable, Equatable {
    package var table: String
    package var key: String
    package var siteVersion: Int64
    /// The row's columns as JSON object text; nil for a deletion.
    package var data: String?
    package var deleted: Bool
    package var hlc: Int64
    package var origin: String
    package var changeID: String
    /// Why the entry waits for a person (a rule that asks for one) or was refused upstream.
    package var held: String?
    /// 1 (background) … 10 (critical): the priority the writing node named in its push, else
    /// the node's capture rule (``CapturePriority``) over the row's values.
    package var priority: Int

    package init(
        table: String,
        key: String,
        siteVersion: Int64,
        data: String?,
        deleted: Bool,
        hlc: Int64,
        origin: String,
        changeID: String,
        held: String? = nil,
        priority: Int = CapturePriority.default
    ) {
        self.table = table
        self.key = key
        self.siteVersion = siteVersion
        self.data = data
        self.deleted = deleted
        self.hlc = hlc
        self.origin = origin
        self.changeID = changeID
        self.held = held
        self.priority = priority
    }

    init(row: Row) {
        self.init(
            table: row["table_name"],
            key: row["record_id"],
            siteVersion: row["site_version"],
            data: row["data"],
            deleted: row["deleted"],
            hlc: row["hlc"],
            origin: row["origin"],
            changeID: row["change_id"],
            held: row["held"],
            priority: row["priority"]
        )
    }
}

/// The upstream's copy of a row as the site last agreed with it, and the newest site version
/// the relay has accounted for (written by it, or sent up).
package struct RelayBase: Sendable, Equatable, Codable {
    package var upstreamVersion: Int64
    package var data: String?
    package var hlc: Int64
    package var origin: String
    package var siteVersion: Int64

    package init(upstreamVersion: Int64, data: String?, hlc: Int64, origin: String, siteVersion: Int64) {
        self.upstreamVersion = upstreamVersion
        self.data = data
        self.hlc = hlc
        self.origin = origin
        self.siteVersion = siteVersion
    }

    init(row: Row) {
        self.init(
            upstreamVersion: row["upstream_version"],
            data: row["data"],
            hlc: row["hlc"],
            origin: row["origin"],
            siteVersion: row["site_version"]
        )
    }
}
