import GRDB
import OutpostStore

/// The engine's own numbers in `outpost_sync_state`: the pull cursor, the re-sync epoch and the
/// counters `outpost status` shows. Each is written in the transaction of the work it counts.
enum SyncState {
    enum Key: String, CaseIterable {
        /// The hub sequence number up to which this node holds every change.
        case cursor
        /// Bumped when a full re-sync starts; rows the re-sync sees are marked with it.
        case epoch
        /// 1 while a full re-sync is under way.
        case resyncing
        /// 1 while the re-sync is one after the hub went back in time (restored from a backup):
        /// rows the hub lost, or holds in an older state than this node saw, are pushed again.
        case restoring
        /// The hub's epoch for this node's tenant when it last pulled (0 before the first pull).
        case hubEpoch = "hub_epoch"
        /// 1 after `outpost remote set` named another URL, until the next exchange finds out
        /// whether it is another hub (``SyncEngine/settleMove()``).
        case remoteChanged = "remote_changed"
        case changesPushed = "changes_pushed"
        case rowsPulled = "rows_pulled"
        case conflictsMerged = "conflicts_merged"
        case conflictsParked = "conflicts_parked"
        case changesFailed = "changes_failed"
        case errors
        case bytesSent = "bytes_sent"
        case bytesReceived = "bytes_received"
        /// Bytes sent and received on the UTC day ``day`` (YYYYMMDD), for the daily quota.
        case bytesToday = "bytes_today"
        case day
        case lastSyncMilliseconds = "last_sync_ms"
        /// The link's smoothed round-trip time at the last push, in microseconds.
        case latencyMicroseconds = "latency_us"
        /// The batch size the pacing chose at the last push.
        case batchSize = "batch_size"
    }

    static func value(_ key: Key, in db: Database) throws -> Int64 {
        try Int64.fetchOne(
            cached: db,
            sql: "SELECT value FROM outpost_sync_state WHERE key = ?",
            arguments: [key.rawValue]
        )
            ?? 0
    }

    static func set(_ key: Key, to value: Int64, in db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO outpost_sync_state (key, value) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """,
            arguments: [key.rawValue, value]
        )
    }

    static func add(_ amount: Int64, to key: Key, in db: Database) throws {
        guard amount != 0 else { return }
        try db.run(
            sql: """
                INSERT INTO outpost_sync_state (key, value) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET value = value + excluded.value
                """,
            arguments: [key.rawValue, amount]
        )
    }

    /// Counts traffic, starting the day's count afresh on a new UTC day.
    static func addTraffic(sent: Int, received: Int, today: Int64, in db: Database) throws {
        if try value(.day, in: db) != today {
            try set(.day, to: today, in: db)
            try set(.bytesToday, to: 0, in: db)
        }
        try add(Int64(sent), to: .bytesSent, in: db)
        try add(Int64(received), to: .bytesReceived, in: db)
        try add(Int64(sent + received), to: .bytesToday, in: db)
    }

    /// Every counter, by key.
    static func all(in db: Database) throws -> [String: Int64] {
        var values: [String: Int64] = [:]
        for row in try Row.fetchAll(cached: db, sql: "SELECT key, value FROM outpost_sync_state") {
            values[row["key"]] = row["value"]
        }
        return values
    }
}
