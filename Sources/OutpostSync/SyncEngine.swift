import Foundation
import GRDB
public import Logging
public import OutpostBlobs
package import OutpostCore
public import OutpostMerge
import OutpostProtocol
public import OutpostStore
import Synchronization

/// A node's sync engine: pushes the outbox to the hub and pulls the hub's changes, merging where
/// both sides changed a row. It keeps the guarantees written in docs/sync-protocol.md ("The
/// node's engine"): nothing queued is lost or sent twice, and every node converges.
///
/// ```swift
/// let engine = SyncEngine(store: store, client: HubClient(remote: remote), resolver: ConflictResolver())
/// let report = try await engine.sync { progress in print(progress.done) }
/// ```
///
/// One engine per node at a time (``SyncLock``); a push and a pull of the same engine may run
/// concurrently (as `outpost run` does), since each writes in its own transactions.
public final class SyncEngine: Sendable {
    public let store: Store
    public let client: HubClient
    public let configuration: SyncConfiguration
    /// The node's file store, whose chunks travel beside the `files` rows; nil syncs rows only.
    public let files: FileStore?
    /// How pulled rows and conflicts are decided: the node's own rules under the tenant's
    /// (``TenantRules``), replaced when a sync brings new tenant rules.
    var reconciler: Reconciler { reconcilerInForce.withLock { $0 } }
    let reconcilerInForce: Mutex<Reconciler>
    /// The node's own rules (`HOME/rules.json`, or the defaults) and handlers, which the
    /// tenant's rules go over.
    let localResolver: ConflictResolver
    let logger: Logger
    let pacing: Mutex<Pacing>
    /// Files whose row the hub refused for lack of content and whose chunks this engine then
    /// offered again: a second refusal parks the change instead of trying forever.
    let contentOfferedAgain = Mutex<Set<String>>([])
    /// The last status report the hub took, and when: a report goes when it changed, or a
    /// minute after the last.
    let lastReport = Mutex<(report: NodeReport, at: ContinuousClock.Instant)?>(nil)
    /// When the tenant's rules were last fetched.
    let lastRulesCheck = Mutex<ContinuousClock.Instant?>(nil)

    struct Pacing {
        var sizer: BatchSizer
        var limiter: BandwidthLimiter?
        var link = LinkMonitor()
    }

    public init(
        store: Store,
        client: HubClient,
        resolver: ConflictResolver,
        configuration: SyncConfiguration = SyncConfiguration(),
        files: FileStore? = nil,
        logger: Logger = Logger(label: "outpost.sync")
    ) {
        self.store = store
        self.client = client
        self.configuration = configuration
        self.files = files
        self.logger = logger
        localResolver = resolver
        let cached = try? store.read { db in try Store.setting(Self.tenantRulesSetting, in: db) }
        reconcilerInForce = Mutex(Self.reconciler(local: resolver, tenantRules: cached ?? nil, nodeID: store.nodeID))
        pacing = Mutex(
            Pacing(
                sizer: BatchSizer(initial: configuration.initialBatchSize, maximum: configuration.maximumBatchSize),
                limiter: configuration.bandwidthBytesPerSecond.map {
                    BandwidthLimiter(
                        bytesPerSecond: $0,
                        reserveFraction: configuration.criticalReserve,
                        now: ContinuousClock.now
                    )
                }
            )
        )
    }

    // MARK: A whole cycle

    /// Push everything queued, then pull until caught up, then push what the pull merged, then
    /// fetch the content of files the pull brought.
    ///
    /// - Throws: ``SyncFailure``; the queue and the cursor stay as the last finished batch and
    ///   page left them, so the next sync carries on.
    public func sync(progress: @Sendable (SyncProgress) -> Void = { _ in }) async throws(SyncFailure) -> SyncReport {
        await refreshTenantRules()
        var report = try await push(progress: progress)
        let pulled = try await pull(progress: progress)
        report.absorb(pulled)
        if pulled.merged > 0 {
            report.absorb(try await push(progress: progress))
        }
        report.absorb(try await fetchContent(progress: progress))
        report.pending = try await guarded { try await store.read { db in try Self.pendingCount(in: db) } }
        try await recordExchange()
        await reportStatus()
        if report.parked > 0 || (try? Self.nodeDirectory(in: store).names.isEmpty) ?? true {
            await refreshNodeDirectory()
        }
        return report
    }

    /// The setting that keeps the tenant's node names between syncs.
    package static let nodeDirectorySetting = "hub_node_directory"

    /// Fetches who is who in the tenant and keeps it, so `outpost conflicts show` can name a
    /// row's writer offline: at the first sync, and again whenever a sync parks a conflict (a
    /// round trip only when names are about to be needed). Best effort: a hub without
    /// `/v1/nodes` (older) leaves the last directory as it was.
    func refreshNodeDirectory() async {
        guard let directory = try? await client.nodes().value else { return }
        try? await store.write { db in
            try Store.setSetting(Self.nodeDirectorySetting, to: directory.json.encoded(), in: db)
        }
    }

    /// The tenant's node names as last fetched (empty before the first sync).
    package static func nodeDirectory(in store: Store) throws(OutpostError) -> NodeDirectory {
        let text = try store.read { db in try Store.setting(nodeDirectorySetting, in: db) }
        return NodeDirectory(stored: text.flatMap { try? JSONValue(parsing: $0) })
    }

    /// Records that the node has just finished an exchange with the hub (`last sync` in
    /// `outpost status`, `last_sync_timestamp_seconds` in `/metrics`, and what `/health`
    /// judges): a whole sync, or one of the daemon's pulls.
    public func recordExchange() async throws(SyncFailure) {
        try await guarded {
            try await store.write { db in
                try SyncState.set(.lastSyncMilliseconds, to: Int64(WallClock.milliseconds()), in: db)
            }
        }
    }

    /// Tells the hub this node's release and queue (``NodeReport``), for the operator's
    /// dashboard, when they changed since the last report or a minute has passed. Best effort:
    /// a hub without `/v1/status` (older) or a failed request changes nothing here.
    public func reportStatus() async {
        guard
            let report = try? await store.read({ db in
                NodeReport(
                    version: OutpostVersion.current,
                    pending: try Outbox(db).unsentCount(),
                    failed: try Outbox(db).failedCount(),
                    parked: try Store.pendingConflictCount(in: db)
                )
            })
        else { return }
        let now = ContinuousClock.now
        let due = lastReport.withLock { last in
            guard let last, last.report == report, now - last.at < .seconds(60) else { return true }
            return false
        }
        guard due, (try? await client.report(report)) != nil else { return }
        lastReport.withLock { $0 = (report, now) }
    }

    // MARK: Push

    /// Pushes queued changes, batch by batch, until none is left that may go now.
    public func push(progress: @Sendable (SyncProgress) -> Void = { _ in }) async throws(SyncFailure) -> SyncReport {
        try await settleMove()
        var report = SyncReport()
        let tables = try await loadTables()
        let total = try await guarded { try await store.read { db in try Self.pendingCount(in: db) } }
        progress(SyncProgress(phase: .push, done: 0, total: total))
        // The batch planned while the one before it travelled (already marked in flight).
        var ahead: OutgoingBatch?
        while true {
            let quotaUsedUp = try await quotaReached()
            let minimumPriority = quotaUsedUp ? 10 : 1
            let size = pacing.withLock { $0.sizer.size }
            let (planned, refused) = try await guarded {
                try await store.write { [ahead] db in
                    var refused = 0
                    let batch =
                        try ahead ?? BatchPlanner.inFlight(tables: tables, in: db)
                        ?? BatchPlanner.next(
                            limit: size,
                            minimumPriority: minimumPriority,
                            tables: tables,
                            refused: &refused,
                            in: db
                        )
                    return (batch, refused)
                }
            }
            ahead = nil
            report.failed += refused
            let batch = planned
            guard let batch else {
                // Nothing more may go now: say so when it is the quota that holds changes back.
                if quotaUsedUp {
                    report.quotaReached = try await guarded {
                        try await store.read { db in try Self.pendingCount(in: db) > 0 }
                    }
                }
                break
            }
            // On a link without a cap the next batch is planned while this one travels: the node's
            // store and the hub work at once instead of in turn. Under a cap (or past the quota)
            // the link is the bound, and a critical change captured meanwhile must not wait behind
            // a batch planned before it.
            guard !quotaUsedUp, pacing.withLock({ $0.limiter == nil }) else {
                try await deliver(batch, tables: tables, report: &report)
                progress(SyncProgress(phase: .push, done: report.pushed + report.failed, total: total))
                continue
            }
            async let following = planAhead(size: size, minimumPriority: minimumPriority, tables: tables)
            do {
                try await deliver(batch, tables: tables, report: &report)
            } catch {
                // Planned ahead stays in flight, sent again first by the next push.
                _ = await following
                throw error
            }
            let (next, refusedAhead) = try await following.get()
            report.failed += refusedAhead
            ahead = next
            progress(SyncProgress(phase: .push, done: report.pushed + report.failed, total: total))
        }
        return report
    }

    /// The batch after one still in flight (``BatchPlanner/next(limit:minimumPriority:tables:refused:besideInFlight:in:)``
    /// beside it), with the count of entries parked on the way.
    private func planAhead(size: Int, minimumPriority: Int, tables: [String: SyncedTable]) async -> Result<
        (OutgoingBatch?, Int), SyncFailure
    > {
        do throws(SyncFailure) {
            return .success(
                try await guarded {
                    try await store.write { db in
                        var refused = 0
                        let batch = try BatchPlanner.next(
                            limit: size,
                            minimumPriority: minimumPriority,
                            tables: tables,
                            refused: &refused,
                            besideInFlight: true,
                            in: db
                        )
                        return (batch, refused)
                    }
                }
            )
        } catch {
            return .failure(error)
        }
    }

    /// Sends one batch and writes back the answer. A batch the hub refuses as a whole is split
    /// until the change it refuses is alone; that one is parked as failed and the rest go.
    private func deliver(_ batch: OutgoingBatch, tables: [String: SyncedTable], report: inout SyncReport)
        async throws(SyncFailure)
    {
        try await uploadContent(for: batch, report: &report)
        try await waitForBandwidth(critical: batch.isCritical)
        let exchange: HubClient.Exchange<PushResponse>
        do {
            exchange = try await client.push(batch.request, wire: batch.wire)
        } catch {
            try await noteFailure(error)
            switch error.code {
            case .refused where batch.entries.count > 1:
                logger.info("Hub refused a batch; splitting it", metadata: ["code": "\(error.hubCode ?? "")"])
                let half = batch.entries.count / 2
                for part in [Array(batch.entries[..<half]), Array(batch.entries[half...])] {
                    let rebatched = try await guarded {
                        try await store.write { db in try BatchPlanner.rebatch(part, tables: tables, in: db) }
                    }
                    try await deliver(rebatched, tables: tables, report: &report)
                }
                return
            case .refused:
                let entry = batch.entries[0]
                let code = error.hubCode ?? ""
                // The hub lacks chunks this node thought it held (a restore, a collection): upload
                // the file's content again, once, rather than park a row other nodes need.
                let offerContent =
                    code == ProtocolErrorCode.missingChunks && entry.change.table == Self.fileTable && files != nil
                    && contentOfferedAgain.withLock { $0.insert(entry.change.key).inserted }
                if offerContent {
                    logger.notice(
                        "The hub lacks chunks of a file this node pushed; uploading its content again",
                        metadata: ["file": "\(entry.change.key)"]
                    )
                    try guarded { try files?.forgetHubCopies(ofFile: entry.change.key) }
                    try await guarded {
                        try await store.write { db in
                            try Outbox(db).requeue(entry.queueID, table: entry.change.table, key: entry.change.key)
                        }
                    }
                    return
                }
                try await guarded {
                    try await store.write { db in
                        if code == "future_base_version" {
                            // The node's record of the hub is wrong: forget it and let the next
                            // push meet the hub's row as a conflict, which merges.
                            try BaseRows(db).forget(table: entry.change.table, key: entry.change.key)
                            try Outbox(db).requeue(entry.queueID, table: entry.change.table, key: entry.change.key)
                        } else {
                            try BatchPlanner.fail(
                                queueID: entry.queueID,
                                reason: "hub refused (\(error.status ?? 0) \(code)): \(error.message)",
                                in: db
                            )
                        }
                    }
                }
                if code != "future_base_version" { report.failed += 1 }
                return
            case .hubFailed:
                try await guarded {
                    try await store.write { db in
                        try BatchPlanner.countAttempt(
                            of: batch,
                            reason: "hub failed (\(error.status ?? 0) \(error.hubCode ?? "")): \(error.message)",
                            in: db
                        )
                    }
                }
                throw error
            default:
                throw error
            }
        }
        let now = ContinuousClock.now
        pacing.withLock { pacing in
            pacing.sizer.succeeded(count: batch.entries.count, elapsed: exchange.elapsed)
            pacing.limiter?.spend(exchange.bytesSent + exchange.bytesReceived, now: now)
            if let limit = pacing.limiter?.bytesPerSecond {
                pacing.sizer.limit(
                    bytesPerSecond: limit,
                    bytesPerChange: Double(exchange.bytesSent + exchange.bytesReceived) / Double(batch.entries.count)
                )
            }
            pacing.link.succeeded(elapsed: exchange.elapsed)
        }
        let (batchSize, latency) = pacing.withLock { ($0.sizer.size, $0.link.latency ?? exchange.elapsed) }
        let tally = try await guarded {
            try await store.writeApplyingRemote { db in
                let tally = try BatchPlanner.record(
                    exchange.value,
                    for: batch,
                    tables: tables,
                    reconciler: self.reconciler,
                    nodeID: self.store.nodeID,
                    in: db
                )
                try SyncState.add(Int64(tally.applied), to: .changesPushed, in: db)
                try SyncState.add(Int64(tally.merged), to: .conflictsMerged, in: db)
                try SyncState.add(Int64(tally.parked), to: .conflictsParked, in: db)
                try SyncState.addTraffic(
                    sent: exchange.bytesSent,
                    received: exchange.bytesReceived,
                    today: Self.today(),
                    in: db
                )
                try SyncState.set(.batchSize, to: Int64(batchSize), in: db)
                try SyncState.set(.latencyMicroseconds, to: Int64(latency.seconds * 1_000_000), in: db)
                return tally
            }
        }
        report.pushed += tally.applied
        report.merged += tally.merged
        report.parked += tally.parked
        report.failed += tally.refused
        report.batches += 1
        report.bytesSent += exchange.bytesSent
        report.bytesReceived += exchange.bytesReceived
    }

    // MARK: Pull

    /// Pulls the hub's changes after the node's cursor until caught up. With `waitMilliseconds`,
    /// the first request waits that long for a change when there is none (a long poll).
    public func pull(waitMilliseconds: Int = 0, progress: @Sendable (SyncProgress) -> Void = { _ in })
        async throws(SyncFailure) -> SyncReport
    {
        try await settleMove()
        let tables = try await loadTables()
        var report = try await fill(tables, progress: progress)
        // Read once per pull, as the tables are: which of them a foreign key involves.
        let foreignKeyTables = try await guarded {
            try await store.read { db in try Store.tablesInForeignKeys(in: db) }
        }
        var wait = waitMilliseconds
        var newColumns = false
        // The next pages, asked for while this one is written: the hub reads while the node writes.
        let (client, limit) = (client, configuration.pullLimit)
        var ahead = PullAhead { cursor throws(SyncFailure) in
            try await Self.pullPage(after: cursor, limit: limit, waitMilliseconds: 0, tables: tables, from: client)
        }
        defer { ahead.cancel() }
        while true {
            let (cursor, resyncing, epoch, restoring, hubEpoch) = try await guarded {
                try await store.read { db in
                    (
                        try SyncState.value(.cursor, in: db), try SyncState.value(.resyncing, in: db) == 1,
                        try SyncState.value(.epoch, in: db), try SyncState.value(.restoring, in: db) == 1,
                        try SyncState.value(.hubEpoch, in: db)
                    )
                }
            }
            let pulled: PulledPage
            do {
                if let taken = try await ahead.take(after: cursor) {
                    pulled = taken
                } else {
                    pulled = try await Self.pullPage(
                        after: cursor,
                        limit: configuration.pullLimit,
                        waitMilliseconds: wait,
                        tables: tables,
                        from: client
                    )
                }
            } catch  where error.code == .resyncRequired {
                logger.notice("The hub asks for a full re-sync; pulling every row again")
                try await guarded {
                    try await store.write { db in
                        try SyncState.set(.epoch, to: epoch + 1, in: db)
                        try SyncState.set(.resyncing, to: 1, in: db)
                        try SyncState.set(.cursor, to: 0, in: db)
                    }
                }
                report.resynced = true
                continue
            } catch {
                try await noteFailure(error)
                throw error
            }
            let exchange = pulled.exchange
            let page = exchange.value
            // Pages asked for ahead that turn out not to follow (a re-sync, a hub gone back in
            // time) are dropped by the next `take`.
            ahead.askAfter(page)
            pacing.withLock { $0.link.succeeded(elapsed: wait > 0 ? nil : exchange.elapsed) }
            wait = 0
            if let rewound = HubRewind(page: page, cursor: cursor, knownEpoch: hubEpoch) {
                logger.warning(
                    "The hub went back in time; pulling every row again and pushing what it lost",
                    metadata: ["sync.reason": "\(rewound.reason)"]
                )
                try await guarded {
                    try await store.write { db in
                        try SyncState.set(.hubEpoch, to: page.epoch ?? hubEpoch, in: db)
                        try SyncState.set(.epoch, to: epoch + 1, in: db)
                        try SyncState.set(.resyncing, to: 1, in: db)
                        try SyncState.set(.restoring, to: 1, in: db)
                        try SyncState.set(.cursor, to: 0, in: db)
                    }
                }
                report.resynced = true
                continue
            }
            newColumns = newColumns || pulled.carriesNewColumns
            // Foreign keys are switched off only for a page that holds rows of a table in one.
            var pageTables: Set<String> = []
            for row in page.rows { pageTables.insert(row.table) }
            let foreignKeysOff = pageTables.contains { foreignKeyTables.contains($0.lowercased()) }
            let tally = try await guarded {
                try await store.writeApplyingRemote(foreignKeysOff: foreignKeysOff) { db in
                    var tally = try self.take(
                        page.rows,
                        tables: tables,
                        epoch: resyncing ? epoch : 0,
                        repair: false,
                        restoring: restoring,
                        from: exchange,
                        in: db
                    )
                    try SyncState.set(.cursor, to: page.cursor, in: db)
                    if let hubEpoch = page.epoch { try SyncState.set(.hubEpoch, to: hubEpoch, in: db) }
                    if !page.more, resyncing {
                        tally.merged += try Self.finishResync(
                            epoch: epoch,
                            restoring: restoring,
                            tables: tables,
                            in: db
                        )
                    }
                    return tally
                }
            }
            report.absorb(tally, from: exchange)
            progress(SyncProgress(phase: .pull, done: report.pulled, total: nil))
            if !page.more { break }
        }
        report.columnsAdded += try await addHubColumns(requested: newColumns)
        return report
    }

    /// The page after `cursor`, and whether it carries new columns: looked at here, while the
    /// writer is busy with the page before, not between the two pages' writes.
    private static func pullPage(
        after cursor: Int64,
        limit: Int,
        waitMilliseconds: Int,
        tables: [String: SyncedTable],
        from client: HubClient
    ) async throws(SyncFailure) -> PulledPage {
        let exchange = try await client.pull(after: cursor, limit: limit, waitMilliseconds: waitMilliseconds)
        return PulledPage(exchange: exchange, carriesNewColumns: carriesNewColumns(exchange.value.rows, tables: tables))
    }

    /// Fetches from the hub, from the start, the rows of every table marked for it: a table
    /// tracked late (the node's cursor has passed its rows) or named by `outpost resync`.
    /// Rows merge by the usual rules; a row with no local work that differs from the hub's is
    /// repaired. Each page commits with its table's fill cursor, so a cut fill resumes.
    private func fill(_ tables: [String: SyncedTable], progress: @Sendable (SyncProgress) -> Void)
        async throws(SyncFailure) -> SyncReport
    {
        var report = SyncReport()
        let pending = try await guarded { try await store.read { db in try Store.tablesToFill(in: db) } }
        for (name, start) in pending {
            guard let table = tables[name] else {
                try await guarded { try await store.write { db in try Store.setFillCursor(nil, of: name, in: db) } }
                continue
            }
            var cursor = start
            while true {
                let exchange: HubClient.Exchange<PullResponse>
                do {
                    exchange = try await client.pull(after: cursor, limit: configuration.pullLimit, table: name)
                } catch  where error.code == .resyncRequired {
                    cursor = 0
                    continue
                } catch {
                    try await noteFailure(error)
                    throw error
                }
                let page = exchange.value
                let rows = page.rows.filter { $0.table == name }
                let tally = try await guarded {
                    try await store.writeApplyingRemote { db in
                        let tally = try self.take(
                            rows,
                            tables: [name: table],
                            epoch: 0,
                            repair: true,
                            restoring: false,
                            from: exchange,
                            in: db
                        )
                        try Store.setFillCursor(page.more ? page.cursor : nil, of: name, in: db)
                        return tally
                    }
                }
                report.absorb(tally, from: exchange)
                progress(SyncProgress(phase: .pull, done: report.pulled, total: nil))
                cursor = page.cursor
                if !page.more { break }
            }
            logger.info("Filled a table from the hub", metadata: ["sync.table": "\(name)"])
        }
        return report
    }

    /// Takes a pulled page's rows into the node inside the page's transaction (see
    /// ``apply(_:tables:epoch:repair:rowByRow:in:)``), raises the clock floor past their stamps,
    /// and counts the rows and the traffic.
    private func take(
        _ rows: [HubRow],
        tables: [String: SyncedTable],
        epoch: Int64,
        repair: Bool,
        restoring: Bool,
        from exchange: HubClient.Exchange<PullResponse>,
        in db: Database
    ) throws -> PullTally {
        let mode = (epoch: epoch, repair: repair, restoring: restoring)
        // Row by row in savepoints only when a row of the page breaks a constraint.
        let tally =
            try apply(rows, tables: tables, mode: mode, rowByRow: false, in: db)
            ?? apply(rows, tables: tables, mode: mode, rowByRow: true, in: db)!
        try ClockFloor(db).observe(remote: rows.map(\.hlc).max() ?? 0)
        try SyncState.add(Int64(tally.applied + tally.merged), to: .rowsPulled, in: db)
        try SyncState.add(Int64(tally.merged), to: .conflictsMerged, in: db)
        try SyncState.add(Int64(tally.parked), to: .conflictsParked, in: db)
        try SyncState.addTraffic(
            sent: exchange.bytesSent,
            received: exchange.bytesReceived,
            today: Self.today(),
            in: db
        )
        return tally
    }

    /// Takes a page's rows into the node, inside the page's transaction.
    ///
    /// A row a local constraint refuses (`UNIQUE`, `NOT NULL`, `CHECK`) must not stop the page,
    /// or every later pull would fail on it again. The page is first applied in one savepoint;
    /// if a constraint refuses a row, that savepoint is rolled back and `nil` returned, and the
    /// caller applies the page again `rowByRow`: each row in its own savepoint, a refused row
    /// parked as a `constraint` conflict with SQLite's reason, the others applied.
    private func apply(
        _ rows: [HubRow],
        tables: [String: SyncedTable],
        mode: (epoch: Int64, repair: Bool, restoring: Bool),
        rowByRow: Bool,
        in db: Database
    ) throws -> PullTally? {
        var tally = PullTally()
        let settlesParked = try Store.hasPendingConstraintConflicts(in: db)
        // With no local work anywhere, a row of a version the node has not seen is written as
        // it comes (the reconciler would decide `.apply`), by statements built once per table,
        // up to a hundred rows a statement: held rows are flushed before the reconciler or a
        // settled conflict reads the tables, and at the end of the page. Taking rows cannot make
        // local work: only a row that already had some is merged.
        var quick = try mode.restoring || Outbox(db).hasLocalWork() ? nil : CleanRowWriter(db)
        func take(_ row: HubRow, _ table: SyncedTable) throws {
            if table.name == Self.fileTable, !row.deleted { try Self.requireSafeFileName(row) }
            switch try quick?.write(row, into: table, epoch: mode.epoch, repair: mode.repair) {
            case .applied: tally.applied += 1
            case .known: break
            case .declined, nil:
                try quick?.flush()
                try reconcile(row, table)
            }
            if settlesParked {
                try quick?.flush()
                try Store.settleConstraintConflict(table: table.name, key: row.key, in: db)
            }
        }
        func reconcile(_ row: HubRow, _ table: SyncedTable) throws {
            switch try reconciler.take(
                row,
                table: table,
                epoch: mode.epoch,
                repair: mode.repair,
                restoring: mode.restoring,
                in: db
            ) {
            case .applied: tally.applied += 1
            case .merged, .tookRemote: tally.merged += 1
            case .parked: tally.parked += 1
            case .unchanged: break
            }
        }
        guard rowByRow else {
            do {
                try db.inSavepoint {
                    for row in rows {
                        guard let table = tables[row.table] else { continue }
                        try take(row, table)
                    }
                    try quick?.flush()
                    return .commit
                }
                return tally
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                return nil
            }
        }
        for row in rows {
            guard let table = tables[row.table] else { continue }
            do {
                try db.inSavepoint {
                    try take(row, table)
                    try quick?.flush()
                    return .commit
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                try reconciler.park(row, table: table, reason: error.message ?? "a constraint failed", in: db)
                tally.parked += 1
                logger.warning(
                    "A pulled row breaks a local constraint; parked it",
                    metadata: ["sync.table": "\(row.table)", "sync.reason": "\(error.message ?? "")"]
                )
            }
        }
        return tally
    }

    /// Refuses a pulled `files` row whose name `files put --as` would refuse (`../../etc/x`, an
    /// absolute path, terminal escapes): a hub that let it through, or a hostile peer behind
    /// one, must not plant it here. It is refused as a constraint is, so it is parked as a
    /// conflict with the reason and the rest of the page applies.
    private static func requireSafeFileName(_ row: HubRow) throws {
        for name in [row.key] + [row.data?["name"]?.stringValue].compactMap({ $0 }) {
            do {
                try FileName.validate(name)
            } catch {
                throw DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: error.message)
            }
        }
    }

    /// After a full re-sync: a synced row the hub's snapshot did not contain was deleted on the
    /// hub while the node was away (its tombstone is gone). It is deleted here too, unless the
    /// node has unsynced work on it, which is pushed as usual. After the hub went back in time
    /// (`restoring`), such a row is one the hub lost instead: the node pushes its copy again.
    ///
    /// - Returns: how many rows were queued to push again.
    private static func finishResync(
        epoch: Int64,
        restoring: Bool,
        tables: [String: SyncedTable],
        in db: Database
    ) throws -> Int {
        let bases = BaseRows(db)
        var queued = 0
        for (name, key) in try bases.unseen(before: epoch) {
            guard let table = tables[name] else { continue }
            if restoring {
                try bases.forget(table: name, key: key)
                if try RowWriter.localValue(of: table, key: key, in: db) != nil {
                    try RowWriter.enqueue(table: table, key: key, deleted: false, in: db)
                    queued += 1
                }
                continue
            }
            guard try !Outbox(db).isDirty(table: name, key: key) else { continue }
            try RowWriter.write(nil, into: table, key: key, in: db)
            try bases.forget(table: name, key: key)
        }
        try SyncState.set(.resyncing, to: 0, in: db)
        try SyncState.set(.restoring, to: 0, in: db)
        return queued
    }

    // MARK: Link

    /// Probes the hub's health endpoint; updates the link's state and smoothed latency.
    public func probe() async throws(SyncFailure) -> Duration {
        let elapsed: Duration
        do {
            elapsed = try await client.probe()
        } catch {
            pacing.withLock { $0.link.failed() }
            throw error
        }
        pacing.withLock { $0.link.succeeded(elapsed: elapsed) }
        return elapsed
    }

    /// The link as the engine last saw it.
    public var link: LinkMonitor { pacing.withLock { $0.link } }

    /// Changes the next push batch may carry, as sized from the link.
    public var batchSize: Int { pacing.withLock { $0.sizer.size } }

    /// Whether anything waits to be pushed (one index probe).
    public func hasPendingChanges() async throws(SyncFailure) -> Bool {
        try await guarded {
            try await store.read { db in try Outbox(db).hasUnsent() }
        }
    }

    // MARK: Helpers

    /// The tracked tables, after filling columns a table gained since the last sync from the
    /// base rows (``SchemaGrowth``); a read unless some table's columns changed.
    func loadTables() async throws(SyncFailure) -> [String: SyncedTable] {
        let (tables, grown) = try await guarded {
            try await store.read { db in
                let tables = try SyncedTable.load(in: db)
                return (tables, try SchemaGrowth.changed(tables, in: db))
            }
        }
        guard !grown.isEmpty else { return tables }
        let filled = try await guarded {
            try await store.writeApplyingRemote { db in
                try SchemaGrowth.adopt(grown, cursor: try SyncState.value(.cursor, in: db), in: db)
            }
        }
        if filled > 0 {
            logger.info("Filled columns a table gained from the hub's values", metadata: ["sync.rows": "\(filled)"])
        }
        return tables
    }

    func quotaReached() async throws(SyncFailure) -> Bool {
        guard let quota = configuration.dailyQuotaBytes else { return false }
        return try await guarded {
            try await store.read { db in
                try SyncState.value(.day, in: db) == Self.today() && SyncState.value(.bytesToday, in: db) >= quota
            }
        }
    }

    func waitForBandwidth(critical: Bool) async throws(SyncFailure) {
        while true {
            let delay = pacing.withLock { $0.limiter?.delay(critical: critical, now: ContinuousClock.now) ?? .zero }
            guard delay > .zero else { return }
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw .unreachable("cancelled")
            }
        }
    }

    func noteFailure(_ failure: SyncFailure) async throws(SyncFailure) {
        pacing.withLock { pacing in
            pacing.sizer.failed()
            if failure.code == .unreachable { pacing.link.failed() }
        }
        try await guarded { try await store.write { db in try SyncState.add(1, to: .errors, in: db) } }
    }

    /// Runs store work, reporting a store failure as ``SyncFailure/store(_:)`` with the store's
    /// error (and its code) as the cause.
    func guarded<T>(_ body: () throws -> T) throws(SyncFailure) -> T {
        do {
            return try body()
        } catch {
            throw Self.storeFailure(error)
        }
    }

    /// ``guarded(_:)`` for async store work: the store's async `read`/`write` run on GRDB's
    /// queues, so the engine never holds a thread of the cooperative pool while SQLite works.
    func guarded<T>(_ body: () async throws -> T) async throws(SyncFailure) -> T {
        do {
            return try await body()
        } catch {
            throw Self.storeFailure(error)
        }
    }

    /// A store error as the engine reports it, keeping the store's code as the cause.
    private static func storeFailure(_ error: any Error) -> SyncFailure {
        .store(error as? OutpostError ?? OutpostError(.storage, "The node's store failed: \(error).", cause: error))
    }

    static func pendingCount(in db: Database) throws -> Int {
        try Outbox(db).unsentCount()
    }

    /// Today as YYYYMMDD in UTC, the daily quota's day.
    static func today() -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return Int64(parts.year! * 10_000 + parts.month! * 100 + parts.day!)
    }
}

/// What one pulled page did.
struct PullTally {
    var applied = 0
    var merged = 0
    var parked = 0
}

extension SyncReport {
    /// Adds what one pulled page did.
    mutating func absorb(_ tally: PullTally, from exchange: HubClient.Exchange<PullResponse>) {
        pulled += tally.applied + tally.merged
        merged += tally.merged
        parked += tally.parked
        bytesSent += exchange.bytesSent
        bytesReceived += exchange.bytesReceived
    }

    mutating func absorb(_ other: SyncReport) {
        pushed += other.pushed
        pulled += other.pulled
        merged += other.merged
        parked += other.parked
        failed += other.failed
        batches += other.batches
        bytesSent += other.bytesSent
        bytesReceived += other.bytesReceived
        resynced = resynced || other.resynced
        quotaReached = quotaReached || other.quotaReached
        chunksSent += other.chunksSent
        chunksFetched += other.chunksFetched
        filesFetched += other.filesFetched
        columnsAdded += other.columnsAdded
    }
}
