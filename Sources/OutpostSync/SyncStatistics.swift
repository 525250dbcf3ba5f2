import GRDB
public import OutpostCore
public import OutpostStore

/// The seed's `get_sync_statistics`: what the engine did and what waits, from the store.
public struct SyncStatistics: Sendable, Equatable, Codable {
    public var remote: String?
    public var cursor: Int64
    public var changesPushed: Int64
    public var rowsPulled: Int64
    public var conflictsMerged: Int64
    public var conflictsParked: Int64
    public var changesFailed: Int64
    public var errors: Int64
    public var bytesSent: Int64
    public var bytesReceived: Int64
    public var bytesToday: Int64
    /// Pending changes by priority (10 critical … 1 background).
    public var queueByPriority: [String: Int]
    public var criticalPending: Int
    public var failedChanges: Int
    /// When the last full sync finished (Unix milliseconds), if ever.
    public var lastSyncMilliseconds: Int64?

    enum CodingKeys: String, CodingKey {
        case remote, cursor, errors
        case changesPushed = "items_synced"
        case rowsPulled = "rows_pulled"
        case conflictsMerged = "conflicts_merged"
        case conflictsParked = "conflicts_parked"
        case changesFailed = "changes_failed"
        case bytesSent = "bytes_sent"
        case bytesReceived = "bytes_received"
        case bytesToday = "bytes_today"
        case queueByPriority = "queue_by_priority"
        case criticalPending = "critical_pending"
        case failedChanges = "failed_changes"
        case lastSyncMilliseconds = "last_sync_ms"
    }

    /// The statistics of `store`, whose node lives in `home`.
    public static func load(store: Store, home: String) throws(OutpostError)
        -> SyncStatistics
    {
        let remote = (try? RemoteConfiguration.load(home: home)) ?? nil
        return try store.read { db in
            let counters = try SyncState.all(in: db)
            func counter(_ key: SyncState.Key) -> Int64 { counters[key.rawValue] ?? 0 }
            var byPriority: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT priority, count(*) AS n FROM sync_queue WHERE status IN ('pending', 'processing') GROUP BY priority"
            ) {
                byPriority["\(row["priority"] as Int)"] = row["n"]
            }
            let failed = try Int.fetchOne(db, sql: "SELECT count(*) FROM sync_queue WHERE status = 'failed'") ?? 0
            let today = counter(.day) == SyncEngine.today() ? counter(.bytesToday) : 0
            return SyncStatistics(
                remote: remote?.url,
                cursor: counter(.cursor),
                changesPushed: counter(.changesPushed),
                rowsPulled: counter(.rowsPulled),
                conflictsMerged: counter(.conflictsMerged),
                conflictsParked: counter(.conflictsParked),
                changesFailed: counter(.changesFailed),
                errors: counter(.errors),
                bytesSent: counter(.bytesSent),
                bytesReceived: counter(.bytesReceived),
                bytesToday: today,
                queueByPriority: byPriority,
                criticalPending: byPriority["10"] ?? 0,
                failedChanges: failed,
                lastSyncMilliseconds: counters[SyncState.Key.lastSyncMilliseconds.rawValue]
            )
        }
    }
}
