import Foundation
import GRDB
import OutpostCore

/// What `outpost hub status` shows of a site hub's upstream link, kept in the relay's ledger:
/// whether the last round worked, when, how long it took, what failed, the bytes exchanged
/// today, and what waits to go up.
package struct RelayStatus: Sendable, Equatable, Codable {
    /// The upstream hub's URL.
    package var url: String?
    /// "up" when the last round worked, "down" when it failed, "quota" when the daily quota is
    /// spent (the relay waits for the next UTC day), "unknown" before the first.
    package var link: String
    package var lastExchange: String?
    package var lastError: String?
    /// How long the last round's last pull from the upstream took (the whole round's time is
    /// the `outpost_relay_round_seconds` metric).
    package var roundTripMilliseconds: Int?
    /// The UTC day the byte counts are for (YYYY-MM-DD).
    package var day: String?
    package var bytesSentToday: Int
    package var bytesReceivedToday: Int
    /// Site changes not yet accepted upstream.
    package var waiting: Int
    /// Of those, the ones held for a person or refused upstream.
    package var held: Int
    /// Waiting changes by table.
    package var waitingByTable: [String: Int]
    /// Waiting changes by priority (1 … 10), as they go up: highest first.
    package var waitingByPriority: [String: Int]
    /// The daily quota the relay runs with, if any.
    package var dailyQuotaBytes: Int64?
    package var siteCursor: Int64
    package var upstreamCursor: Int64

    enum CodingKeys: String, CodingKey {
        case url, link, day, waiting, held
        case waitingByTable = "waiting_by_table"
        case waitingByPriority = "waiting_by_priority"
        case dailyQuotaBytes = "daily_quota_bytes"
        case lastExchange = "last_exchange"
        case lastError = "last_error"
        case roundTripMilliseconds = "round_trip_ms"
        case bytesSentToday = "bytes_sent_today"
        case bytesReceivedToday = "bytes_received_today"
        case siteCursor = "site_cursor"
        case upstreamCursor = "upstream_cursor"
    }

    /// The status the ledger at `path` holds.
    package static func read(ledgerAt path: String) throws -> RelayStatus {
        let ledger = try RelayLedger(path: path)
        let backlog = try ledger.backlog()
        let cursors = try ledger.cursors()
        return try ledger.read { db in
            func setting(_ name: String) throws -> String? {
                try String.fetchOne(db, sql: "SELECT value FROM relay_settings WHERE name = ?", arguments: [name])
            }
            let day = try setting("bytes_day")
            let today = day == Self.today()
            let byTable = try Row.fetchAll(
                db,
                sql: "SELECT table_name, count(*) AS waiting FROM relay_outbox GROUP BY table_name"
            )
            let byPriority = try Row.fetchAll(
                db,
                sql: "SELECT priority, count(*) AS waiting FROM relay_outbox GROUP BY priority"
            )
            return RelayStatus(
                url: try setting("upstream_url"),
                link: try setting("link") ?? "unknown",
                lastExchange: try setting("last_exchange"),
                lastError: try setting("last_error"),
                roundTripMilliseconds: try setting("round_trip_ms").flatMap { Int($0) },
                day: Self.today(),
                bytesSentToday: today ? (try setting("bytes_sent").flatMap { Int($0) } ?? 0) : 0,
                bytesReceivedToday: today ? (try setting("bytes_received").flatMap { Int($0) } ?? 0) : 0,
                waiting: backlog.waiting,
                held: backlog.held,
                waitingByTable: Dictionary(uniqueKeysWithValues: byTable.map { ($0["table_name"], $0["waiting"]) }),
                waitingByPriority: Dictionary(
                    uniqueKeysWithValues: byPriority.map { (String($0["priority"] as Int), $0["waiting"]) }
                ),
                dailyQuotaBytes: try setting("daily_quota").flatMap { Int64($0) },
                siteCursor: cursors.site,
                upstreamCursor: cursors.upstream
            )
        }
    }

    static func recordExchange(in ledger: RelayLedger, roundTrip: Duration) throws {
        let milliseconds =
            roundTrip.components.seconds * 1000 + roundTrip.components.attoseconds / 1_000_000_000_000_000
        try ledger.write { db in
            try set("link", "up", in: db)
            try set("last_exchange", Self.timestamp(), in: db)
            try set("round_trip_ms", String(milliseconds), in: db)
            try db.execute(sql: "DELETE FROM relay_settings WHERE name = 'last_error'")
        }
    }

    /// Today's bytes both ways, as the daily quota counts them.
    struct Today {
        var bytesToday: Int64
    }

    static func read(from ledger: RelayLedger) throws -> Today {
        try ledger.read { db in
            let day = try String.fetchOne(db, sql: "SELECT value FROM relay_settings WHERE name = 'bytes_day'")
            guard day == Self.today() else { return Today(bytesToday: 0) }
            let sent = try String.fetchOne(db, sql: "SELECT value FROM relay_settings WHERE name = 'bytes_sent'")
            let received = try String.fetchOne(
                db,
                sql: "SELECT value FROM relay_settings WHERE name = 'bytes_received'"
            )
            return Today(bytesToday: (sent.flatMap { Int64($0) } ?? 0) + (received.flatMap { Int64($0) } ?? 0))
        }
    }

    static func recordQuotaReached(in ledger: RelayLedger) throws {
        try ledger.write { db in try set("link", "quota", in: db) }
    }

    static func recordFailure(_ message: String, in ledger: RelayLedger) throws {
        try ledger.write { db in
            try set("link", "down", in: db)
            try set("last_error", String(message.prefix(500)), in: db)
        }
    }

    /// Adds one exchange's bytes to today's counts (which start again each UTC day).
    static func count(sent: Int, received: Int, in ledger: RelayLedger) throws {
        try ledger.write { db in
            let today = Self.today()
            let day = try String.fetchOne(db, sql: "SELECT value FROM relay_settings WHERE name = 'bytes_day'")
            if day != today {
                try set("bytes_day", today, in: db)
                try set("bytes_sent", "0", in: db)
                try set("bytes_received", "0", in: db)
            }
            try db.execute(
                sql: """
                    UPDATE relay_settings SET value = CAST(value AS INTEGER) + ? WHERE name = 'bytes_sent';
                    UPDATE relay_settings SET value = CAST(value AS INTEGER) + ? WHERE name = 'bytes_received';
                    """,
                arguments: [sent, received]
            )
        }
    }

    private static func set(_ name: String, _ value: String, in db: Database) throws {
        try db.execute(
            sql:
                "INSERT INTO relay_settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            arguments: [name, value]
        )
    }

    private static func today() -> String {
        String(timestamp().prefix(10))
    }

    private static func timestamp() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}
