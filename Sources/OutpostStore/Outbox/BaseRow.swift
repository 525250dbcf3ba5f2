package import GRDB
package import OutpostCore

/// The node's copy of the last hub state of one row (`outpost_sync_rows`): the base of every
/// three-way merge and of "send only the changed fields".
package struct BaseRow: Sendable, Equatable {
    /// The hub's version of the row.
    package var version: Int64
    /// The synced columns; `nil` for a tombstone.
    package var data: JSONValue?
    /// The stamp of the change that made this version.
    package var hlc: Int64
    /// The node that made it.
    package var origin: String

    package init(version: Int64, data: JSONValue?, hlc: Int64, origin: String) {
        self.version = version
        self.data = data
        self.hlc = hlc
        self.origin = origin
    }
}

/// The base rows of a node, read and written inside the caller's transaction.
///
/// `seen_epoch` marks the rows a full re-sync saw, so the rows it did not see can be found.
package struct BaseRows {
    package let db: Database

    package init(_ db: Database) { self.db = db }

    /// The base of `table`/`key`, or `nil` when the node never saw the row on the hub.
    package func base(table: String, key: String) throws -> BaseRow? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: Self.baseSQL),
                arguments: [table, key]
            )
        else { return nil }
        let text: String? = row["data"]
        return BaseRow(
            version: row["version"],
            data: try text.map { try JSONValue(parsing: $0) },
            hlc: row["hlc"],
            origin: row["origin"] ?? ""
        )
    }

    /// The hub version of the base of `table`/`key` alone (its columns are not read), or
    /// `nil`, on a query prepared once for many rows (``versionQuery()``).
    package func version(table: String, key: String, using query: PreparedStatement) throws -> Int64? {
        try query.row([table.databaseValue, key.databaseValue]).flatMap { Int64.fromDatabaseValue($0[0]) }
    }

    /// The query ``version(table:key:using:)`` runs, prepared on this connection.
    package func versionQuery() throws -> PreparedStatement {
        try PreparedStatement(Self.versionSQL, in: db)
    }

    private static let versionSQL = "SELECT version FROM outpost_sync_rows WHERE table_name = ? AND record_id = ?"

    /// ``base(table:key:)`` for many rows, on a query prepared once (``baseQuery()``).
    package func base(table: String, key: String, using query: PreparedStatement) throws -> BaseRow? {
        guard let values = try query.row([table.databaseValue, key.databaseValue]) else { return nil }
        let text = String.fromDatabaseValue(values[1])
        return BaseRow(
            version: Int64.fromDatabaseValue(values[0]) ?? 0,
            data: try text.map { try JSONValue(parsing: $0) },
            hlc: Int64.fromDatabaseValue(values[2]) ?? 0,
            origin: String.fromDatabaseValue(values[3]) ?? ""
        )
    }

    /// The query ``base(table:key:using:)`` runs, prepared on this connection.
    package func baseQuery() throws -> PreparedStatement {
        try PreparedStatement(Self.baseSQL, in: db)
    }

    private static let baseSQL =
        "SELECT version, data, hlc, origin FROM outpost_sync_rows WHERE table_name = ? AND record_id = ?"

    /// Records `base` as the hub's state of the row, unless the node already knows a newer one
    /// (or, with `evenIfOlder`, in any case: the hub went back in time and this is its state now).
    package func record(_ base: BaseRow, table: String, key: String, epoch: Int64, evenIfOlder: Bool = false)
        throws
    {
        try db.cachedStatement(sql: Self.recordSQL).execute(arguments: [
            table, key, base.version, base.data?.encoded(), base.hlc, base.origin, epoch, evenIfOlder,
        ])
    }

    /// ``record(_:table:key:epoch:evenIfOlder:)`` for many rows, on a statement prepared once
    /// (``recordStatement()``).
    package func record(_ base: BaseRow, table: String, key: String, epoch: Int64, using statement: PreparedStatement)
        throws
    {
        try record(
            version: base.version,
            dataText: base.data?.encoded(),
            hlc: base.hlc,
            origin: base.origin,
            table: table,
            key: key,
            epoch: epoch,
            using: statement
        )
    }

    /// ``record(_:table:key:epoch:using:)`` with the data already JSON text (`nil` for a
    /// tombstone), for a caller that encoded it for something else first.
    package func record(
        version: Int64,
        dataText: String?,
        hlc: Int64,
        origin: String,
        table: String,
        key: String,
        epoch: Int64,
        using statement: PreparedStatement
    ) throws {
        try statement.run(
            Self.recordValues(
                version: version,
                dataText: dataText,
                hlc: hlc,
                origin: origin,
                table: table,
                key: key,
                epoch: epoch
            ) + [false.databaseValue]
        )
    }

    /// The statement ``record(_:table:key:epoch:using:)`` runs, prepared on this connection.
    package func recordStatement() throws -> PreparedStatement {
        try PreparedStatement(Self.recordSQL, in: db)
    }

    /// A statement that records the bases of `count` rows at once (none of them twice), each
    /// unless the node already knows a newer one: run it with the rows' ``recordValues(version:dataText:hlc:origin:table:key:epoch:)``
    /// one after another, then `false`. A full hundred rows' statement is kept in the connection's
    /// statement cache, since every page of a pull runs it.
    package func recordStatement(rows count: Int) throws -> PreparedStatement {
        count == SQLList.rowsPerStatement
            ? try PreparedStatement(cached: Self.recordSQL(rows: count), in: db)
            : try PreparedStatement(Self.recordSQL(rows: count), in: db)
    }

    /// One row's values for ``recordStatement(rows:)``.
    package static func recordValues(
        version: Int64,
        dataText: String?,
        hlc: Int64,
        origin: String,
        table: String,
        key: String,
        epoch: Int64
    ) -> [DatabaseValue] {
        [
            table.databaseValue, key.databaseValue, version.databaseValue, dataText?.databaseValue ?? .null,
            hlc.databaseValue, origin.databaseValue, epoch.databaseValue,
        ]
    }

    /// Values a row of ``recordStatement(rows:)`` takes.
    package static let recordWidth = 7

    private static let recordSQL = recordSQL(rows: 1)

    private static func recordSQL(rows count: Int) -> String {
        """
        INSERT INTO outpost_sync_rows (table_name, record_id, version, data, hlc, origin, seen_epoch)
        VALUES \(SQLList.rows(count, width: recordWidth))
        ON CONFLICT (table_name, record_id) DO UPDATE SET
            version = excluded.version, data = excluded.data, hlc = excluded.hlc,
            origin = excluded.origin, seen_epoch = max(seen_epoch, excluded.seen_epoch)
        WHERE excluded.version >= outpost_sync_rows.version OR ?
        """
    }

    /// Keeps every row's content but forgets the hub versions: for a node that moved to another
    /// hub, whose versions count differently. Each pending change then meets the new hub's row
    /// as a conflict and merges with this content as its base, and every pulled row is new.
    package func forgetVersions() throws {
        try db.execute(sql: "UPDATE outpost_sync_rows SET version = 0")
    }

    /// Keeps the row's hub version but forgets what the hub holds in it, so the next push sends
    /// every column (over the hub's copy, which is known to differ) instead of only those that
    /// changed since the base.
    package func forgetContent(table: String, key: String) throws {
        try db.execute(
            sql: "UPDATE outpost_sync_rows SET data = '{}' WHERE table_name = ? AND record_id = ? AND data IS NOT NULL",
            arguments: [table, key]
        )
    }

    /// Forgets the base of a row: the node no longer knows the hub's state of it.
    package func forget(table: String, key: String) throws {
        try db.execute(
            sql: "DELETE FROM outpost_sync_rows WHERE table_name = ? AND record_id = ?",
            arguments: [table, key]
        )
    }

    /// Marks the row as seen by the re-sync of `epoch`.
    package func markSeen(table: String, key: String, epoch: Int64) throws {
        try db.cachedStatement(
            sql: "UPDATE outpost_sync_rows SET seen_epoch = ? WHERE table_name = ? AND record_id = ?"
        ).execute(arguments: [epoch, table, key])
    }

    /// The keys and columns of every base of `table` that holds a row (tombstones left out).
    package func rows(of table: String) throws -> [(key: String, data: JSONValue)] {
        try Row.fetchAll(
            db,
            sql: "SELECT record_id, data FROM outpost_sync_rows WHERE table_name = ? AND data IS NOT NULL",
            arguments: [table]
        ).compactMap { row in
            guard let data = try? JSONValue(parsing: row["data"] as String) else { return nil }
            return (row["record_id"], data)
        }
    }

    /// The rows a re-sync of `epoch` did not see: (table, key) pairs.
    package func unseen(before epoch: Int64) throws -> [(table: String, key: String)] {
        try Row.fetchAll(
            db,
            sql: "SELECT table_name, record_id FROM outpost_sync_rows WHERE seen_epoch < ?",
            arguments: [epoch]
        ).map { ($0["table_name"], $0["record_id"]) }
    }
}
