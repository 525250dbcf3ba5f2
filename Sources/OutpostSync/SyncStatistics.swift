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
    /// The link's smoothed round-trip time, in milliseconds (live in `outpost run`, else as of
    /// the last push).
    public var latencyMilliseconds: Double?
    /// The push batch size the pacing chose (live in `outpost run`, else as of the last push).
    public var batchSize: Int?
    /// Whether the hub answers; known only while the daemon runs.
    public var online: Bool?
    /// How often the daemon probes the hub now, in seconds (shorter while the hub is away).
    public var probeIntervalSeconds: Double?
    /// The daily byte quota in force, if the running engine has one.
    public var dailyQuotaBytes: Int64?

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
        case latencyMilliseconds = "network_latency_ms"
        case batchSize = "current_batch_size"
        case online
        case probeIntervalSeconds = "probe_interval_seconds"
        case dailyQuotaBytes = "daily_quota_bytes"
    }

    /// The statistics of `store`, whose node lives in `home`.
    public static func load(store: Store, home: String) throws(OutpostError)
        -> SyncStatistics
    {
        let remote = (try? RemoteConfiguration.load(home: home)) ?? nil
        return try store.read { db in
            let counters = try SyncState.all(in: db)
            func counter(_ key: SyncState.Key) -> Int64 { counters[key.rawValue] ?? 0 }
            let outbox = Outbox(db)
            let byPriority = try outbox.countsByPriority(of: [.pending, .processing])
            let failed = try outbox.failedCount()
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
                lastSyncMilliseconds: counters[SyncState.Key.lastSyncMilliseconds.rawValue],
                latencyMilliseconds: counters[SyncState.Key.latencyMicroseconds.rawValue].map { Double($0) / 1000 },
                batchSize: counters[SyncState.Key.batchSize.rawValue].map { Int($0) }
            )
        }
    }

    /// The statistics of a running engine: the store's, with the live link and pacing.
    public static func load(engine: SyncEngine, home: String) throws(OutpostError) -> SyncStatistics {
        var statistics = try load(store: engine.store, home: home)
        let link = engine.link
        statistics.latencyMilliseconds = link.latency.map { $0.seconds * 1000 } ?? statistics.latencyMilliseconds
        statistics.batchSize = engine.batchSize
        statistics.online = link.isOnline
        statistics.probeIntervalSeconds = link.nextProbe.seconds
        statistics.dailyQuotaBytes = engine.configuration.dailyQuotaBytes
        return statistics
    }
}
