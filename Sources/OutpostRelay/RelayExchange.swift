import Foundation
package import Logging
import OutpostCore
import OutpostHub
import OutpostMerge
import OutpostProtocol
import OutpostStore
package import OutpostSync

/// One relay round between a site tenant and its upstream: collect the site's new rows into the
/// ledger's outbox, push them up (merging what meets a newer upstream row), then apply the
/// upstream's new rows at the site. Held by the relay's one task, so rounds never overlap.
package struct RelayExchange: Sendable {
    let site: SiteTenant
    let ledger: RelayLedger
    let client: HubClient
    let batchSize: Int
    let logger: Logger
    let gauges: RelayGauges
    /// The WAN link's bandwidth cap (none by default).
    let pacer: RelayPacer
    /// Bytes per UTC day after which the relay waits for the next day; nil for no quota.
    let dailyQuota: Int64?

    /// This site hub's node id at the upstream: the writer of the rows it merges.
    private var upstreamNodeID: String?
    private var reconciler: Reconciler?
    private var upstreamDeclarations: [String: TableDeclaration] = [:]
    private var lastRefresh: ContinuousClock.Instant?
    /// Whether the upstream takes each change's writer from this hub (its credential is marked
    /// a relay there); cleared the first time it refuses, and the changes go without.
    private var forwardsWriters = true
    /// Passes left to send one change at a time, after the upstream refused a whole batch for
    /// something in it: the change it refuses alone is held, and the rest flows.
    private var isolating = 0
    /// How long the round's last pull from the upstream took: the link's round trip, which
    /// `hub status` shows (a whole round also spends time at the site).
    private var linkRoundTrip: Duration?
    private var ids = UUIDv7()

    package init(
        site: SiteTenant,
        ledger: RelayLedger,
        client: HubClient,
        batchSize: Int,
        logger: Logger,
        gauges: RelayGauges = RelayGauges(),
        bandwidthBytesPerSecond: Double? = nil,
        dailyQuota: Int64? = nil
    ) {
        self.site = site
        self.ledger = ledger
        self.client = client
        self.batchSize = batchSize
        self.logger = logger
        self.gauges = gauges
        pacer = RelayPacer(bytesPerSecond: bandwidthBytesPerSecond)
        self.dailyQuota = dailyQuota
    }

    /// One round: collect, push up, pull down; then the link's status in the ledger.
    package mutating func round() async throws {
        let started = ContinuousClock.now
        try await collect()
        if let dailyQuota, try RelayStatus.read(from: ledger).bytesToday >= dailyQuota {
            // The WAN's daily quota is spent: only critical changes go up until tomorrow, and the
            // site otherwise works on its own.
            try RelayStatus.recordQuotaReached(in: ledger)
            if try !ledger.isComparing(.upstream), try !ledger.pending(limit: 1, criticalOnly: true).isEmpty {
                if reconciler == nil { try await refresh() }
                do {
                    try await pushUp(criticalOnly: true)
                } catch is RelayPause {}
            }
            return
        }
        if lastRefresh.map({ started - $0 >= .seconds(60) }) ?? true { try await refresh() }
        try await applyDecisions()
        if try !ledger.isComparing(.upstream) {
            do {
                try await pushUp()
            } catch is RelayPause {}
        }
        try await pullDown()
        let round = ContinuousClock.now - started
        try RelayStatus.recordExchange(in: ledger, roundTrip: linkRoundTrip ?? round)
        let backlog = try ledger.backlog()
        gauges.recordExchange(roundTrip: round, waiting: backlog.waiting, held: backlog.held)
    }

    mutating func recordFailure(_ error: any Error) {
        gauges.recordFailure()
        try? RelayStatus.recordFailure(String(describing: error), in: ledger)
    }

    /// Counts an exchange's bytes in today's figures and in the metrics, and under a bandwidth
    /// cap waits until the link has room again.
    /// A fifth of the cap is kept for `critical` exchanges, as on a node.
    func count<Value>(_ exchange: HubClient.Exchange<Value>, critical: Bool = false) async throws {
        gauges.count(sent: exchange.bytesSent, received: exchange.bytesReceived)
        try RelayStatus.count(sent: exchange.bytesSent, received: exchange.bytesReceived, in: ledger)
        let pause = pacer.spend(exchange.bytesSent + exchange.bytesReceived, critical: critical)
        if pause > .zero { try await Task.sleep(for: pause) }
    }

    /// Takes the upstream's node id for this hub, its table declarations and the tenant's
    /// rules, which become the site tenant's rules so that every node merges by them.
    private mutating func refresh() async throws {
        let directory = try await client.nodes()
        try await count(directory)
        upstreamNodeID = directory.value.selfID
        let tables = try await client.tables()
        try await count(tables)
        upstreamDeclarations = tables.value
        let answer = try await client.rules()
        try await count(answer)
        let rules = answer.value
        if try await site.storage.tenantRules(tenant: site.name) != rules {
            try await site.storage.setTenantRules(tenant: site.name, text: rules)
            logger.info("The upstream tenant's conflict rules now apply at this site")
        }
        reconciler = SyncEngine.reconciler(
            local: ConflictResolver(),
            tenantRules: rules,
            nodeID: upstreamNodeID ?? ""
        )
        lastRefresh = .now
    }

    // MARK: Site to outbox

    private func collect() async throws {
        var cursor = try ledger.cursors().site
        while true {
            let page = try await site.changes(after: cursor, limit: batchSize)
            let known = try ledger.epoch(of: .site)
            if known != page.epoch {
                if known != nil {
                    // The site hub was restored from a backup: its versions and sequence numbers
                    // start again from an older point, so the relay reads it all again and
                    // compares each row with what the upstream holds.
                    logger.warning("The site hub went back in time (restored); comparing every row with the upstream")
                    try ledger.siteWentBack(epoch: page.epoch)
                    cursor = 0
                    continue
                }
                try ledger.setEpoch(page.epoch, of: .site)
            }
            var rows = page.rows.map { prioritized($0.entry, named: $0.priority) }
            let comparing = try ledger.isComparing(.site)
            if comparing { rows = try await compareRestored(rows) }
            _ = try ledger.collect(rows, siteCursor: page.cursor)
            cursor = page.cursor
            if !page.more {
                if comparing { try await restoreLostRows() }
                break
            }
        }
    }

    /// `row` with the priority its writing node gave the change (`named`, from the push); a
    /// change that came without one (the default, or from an older node) is rated by the node's
    /// capture rule (``CapturePriority``) over its values: a critical or failed status and a
    /// file's own priority count as on a node, anything else as the default.
    private func prioritized(_ row: RelayEntry, named: Int?) -> RelayEntry {
        var row = row
        if let named {
            row.priority = min(CapturePriority.critical, max(1, named))
            return row
        }
        let data = row.data.flatMap { try? JSONValue(parsing: $0) }
        var columns = upstreamDeclarations[row.table]?.columns.map(\.name) ?? []
        if columns.isEmpty, case .object(let members)? = data { columns = Array(members.keys) }
        let schema = TableSchema(name: row.table, columns: columns, primaryKey: [])
        row.priority = CapturePriority(schema: schema, priority: CapturePriority.default).value(of: data)
        return row
    }

    /// After a restore, the site rows that still need to go up: a row as the upstream last
    /// agreed is only accounted for; a row older than that (by stamp) lost a change the site
    /// once had and the upstream keeps, so the upstream's copy is written back at the site;
    /// anything newer goes up as usual and merges.
    private func compareRestored(_ rows: [RelayEntry]) async throws -> [RelayEntry] {
        var newer: [RelayEntry] = []
        for row in rows {
            if var waiting = try ledger.entry(table: row.table, key: row.key), waiting.hlc >= row.hlc {
                // A change the site lost that never reached the upstream: written back at the
                // site, and still on its way up. (A site row written since replaces it as usual.)
                if let version = try await writeBack(
                    waiting.data,
                    of: row,
                    over: row.siteVersion,
                    hlc: waiting.hlc,
                    origin: waiting.origin
                ) {
                    waiting.siteVersion = version
                    try ledger.replace(waiting)
                }
                continue
            }
            guard let base = try ledger.base(table: row.table, key: row.key) else {
                newer.append(row)
                continue
            }
            let same =
                row.deleted
                ? base.data == nil
                : try base.data.map { try JSONValue(parsing: $0) } == row.data.map { try JSONValue(parsing: $0) }
            if same {
                try ledger.account(table: row.table, key: row.key, siteVersion: row.siteVersion)
                continue
            }
            guard row.hlc <= base.hlc else {
                newer.append(row)
                continue
            }
            if let version = try await writeBack(
                base.data,
                of: row,
                over: row.siteVersion,
                hlc: base.hlc,
                origin: base.origin
            ) {
                try ledger.account(table: row.table, key: row.key, siteVersion: version)
            }
        }
        return newer
    }

    /// At the end of the comparison: rows the restored site no longer has at all, though the
    /// upstream does (bases the pass did not meet) or the relay was still to send up (entries
    /// it did not meet), are written back at the site.
    private func restoreLostRows() async throws {
        for (table, key, base) in try ledger.unaccountedBases() where base.data != nil {
            let row = RelayEntry(
                table: table,
                key: key,
                siteVersion: 0,
                data: nil,
                deleted: true,
                hlc: 0,
                origin: "",
                changeID: ""
            )
            if let version = try await writeBack(base.data, of: row, over: 0, hlc: base.hlc, origin: base.origin) {
                try ledger.account(table: table, key: key, siteVersion: version)
            }
        }
        for var waiting in try ledger.unaccountedEntries() {
            if let version = try await writeBack(
                waiting.data,
                of: waiting,
                over: 0,
                hlc: waiting.hlc,
                origin: waiting.origin
            ) {
                waiting.siteVersion = version
                try ledger.replace(waiting)
            }
        }
        try ledger.finishComparingSite()
    }

    /// Writes `data` (nil: a deletion) for `row`'s table and key at the site, checked against
    /// the site's version `siteVersion`; the site's new version, or nil when a site node wrote
    /// the row meanwhile (its change is collected as usual).
    private func writeBack(
        _ data: String?,
        of row: RelayEntry,
        over siteVersion: Int64,
        hlc: Int64,
        origin: String
    ) async throws -> Int64? {
        let change = Change(
            id: "restored-\(Self.fingerprint(row.table, row.key))-\(siteVersion)-\(hlc)",
            table: row.table,
            key: row.key,
            operation: data == nil ? .delete : .upsert,
            baseVersion: siteVersion,
            data: try data.map { try JSONValue(parsing: $0) },
            hlc: hlc
        )
        let results = try await site.apply([(change, origin)], declarations: upstreamDeclarations)
        guard let result = results.first, result.status == .applied else { return nil }
        return result.version
    }

    /// Ends a push pass early, the round going on to the pull.
    private struct RelayPause: Error {}

    /// A short, stable fingerprint of a row's address (FNV-1a, 64 bits), for change ids that
    /// must stay under the hub's 128 bytes whatever the key.
    static func fingerprint(_ table: String, _ key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(table.utf8) + [0] + Array(key.utf8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    // MARK: Outbox to upstream

    private mutating func pushUp(criticalOnly: Bool = false) async throws {
        // Each pass settles, merges or holds every entry it sends, so passes end; the bound only
        // keeps one round from running on while the site writes faster than the link carries.
        for _ in 0..<50 {
            let limit = isolating > 0 ? 1 : batchSize
            if isolating > 0 { isolating -= 1 }
            let entries = Self.withinBudget(try ledger.pending(limit: limit, criticalOnly: criticalOnly))
            if entries.isEmpty { return }
            var progressed = false
            let declarations = try await site.declarations()
            var changes: [Change] = []
            var schemas: [String: Set<String>] = [:]
            let bases = try ledger.bases(of: entries.map { RowKeyPair(table: $0.table, key: $0.key) })
            for entry in entries {
                let base = bases[RowKeyPair(table: entry.table, key: entry.key)]
                let data = try entry.data.map { try JSONValue(parsing: $0) }
                if case .object(let members)? = data { schemas[entry.table, default: []].formUnion(members.keys) }
                changes.append(
                    Change(
                        id: entry.changeID,
                        table: entry.table,
                        key: entry.key,
                        operation: entry.deleted ? .delete : .upsert,
                        baseVersion: base?.upstreamVersion ?? 0,
                        data: data,
                        hlc: entry.hlc,
                        origin: forwardsWriters ? entry.origin : nil,
                        priority: entry.priority == CapturePriority.default ? nil : entry.priority
                    )
                )
            }
            let tables = Set(entries.map(\.table))
            let request = PushRequest(
                batchID: ids.next(),
                changes: changes,
                schemas: schemas.mapValues { $0.sorted() },
                declarations: declarations.filter { tables.contains($0.key) }
            )
            try await sendChunks(of: entries)
            guard let answer = try await push(request, of: entries) else { continue }
            try await count(answer, critical: entries.allSatisfy { $0.priority >= CapturePriority.critical })
            for (entry, result) in zip(entries, answer.value.results) {
                switch result.status {
                case .applied:
                    progressed = true
                    try ledger.settle(
                        entry,
                        base: RelayBase(
                            upstreamVersion: result.version,
                            data: entry.data,
                            hlc: entry.hlc,
                            origin: forwardsWriters ? entry.origin : upstreamNodeID ?? entry.origin,
                            siteVersion: entry.siteVersion
                        )
                    )
                case .conflict:
                    guard let current = result.current else { continue }
                    if try await resolve(entry, against: current, declarations: declarations) { progressed = true }
                case .refused:
                    var held = entry
                    let refusal = result.refusal.map { "\($0.code): \($0.reason)" } ?? "refused"
                    held.held = "The upstream refused it (\(refusal))."
                    try ledger.replace(held)
                    progressed = true
                    logger.warning(
                        "The upstream refused a site change; it stays in the relay's outbox",
                        metadata: ["relay.row": "\(entry.table)/\(entry.key)", "relay.refusal": "\(refusal)"]
                    )
                }
            }
            // What is left waits for a site change the next round collects.
            if !progressed { return }
        }
    }

    /// Sends `request`; nil when the upstream refused the batch as a whole for something one of
    /// its changes holds (a file whose content this site lacks too, a limit), which is then held
    /// so the rest keeps flowing.
    private mutating func push(_ request: PushRequest, of entries: [RelayEntry]) async throws
        -> HubClient.Exchange<PushResponse>?
    {
        let failure: SyncFailure
        do {
            return try await client.push(request)
        } catch {
            failure = error
        }
        if failure.hubCode == ProtocolErrorCode.futureBaseVersion {
            // The upstream holds older versions than the site agreed with: it was restored.
            // Nothing goes up until the pull has compared every row with it.
            logger.warning("The upstream hub holds older versions than this site knew (restored); comparing first")
            try ledger.upstreamWentBack(epoch: try ledger.epoch(of: .upstream) ?? 0)
            throw RelayPause()
        }
        if failure.hubCode == ProtocolErrorCode.originNotAllowed, forwardsWriters {
            forwardsWriters = false
            logger.warning(
                """
                The upstream does not take this site's changes under their writers' names: they go up as \
                this hub's. To keep each writer, mark this hub's credential there as a site hub's (a relay; \
                docs/clusters.md) and restart this hub.
                """
            )
            return nil
        }
        if failure.hubCode == ProtocolErrorCode.missingChunks {
            for var entry in entries where entry.table == ChunkReachability.fileTable {
                entry.held = "The upstream refused the file: \(failure.message)"
                try ledger.replace(entry)
            }
            return nil
        }
        // Refused whole for what one change holds (a limit the upstream sets lower than this
        // site, say): sent one at a time, the change it refuses alone is held with the reason.
        guard let status = failure.status, [400, 413, 422].contains(status) else { throw failure }
        if entries.count > 1 {
            isolating = entries.count
            return nil
        }
        for var entry in entries {
            entry.held = "The upstream refused it: \(failure.message)"
            try ledger.replace(entry)
            logger.warning(
                "The upstream refused a site change; it stays in the relay's outbox",
                metadata: ["relay.row": "\(entry.table)/\(entry.key)", "relay.refusal": "\(failure.message)"]
            )
        }
        return nil
    }

    /// The first of `entries` that fit one request: 4 MiB of row text (one larger row goes
    /// alone), under the hub's default body limit with room to spare.
    static func withinBudget(_ entries: [RelayEntry]) -> [RelayEntry] {
        var bytes = 0
        var taken: [RelayEntry] = []
        for entry in entries {
            bytes += (entry.data?.utf8.count ?? 0) + 200
            if !taken.isEmpty, bytes > 4 << 20 { break }
            taken.append(entry)
        }
        return taken
    }

    /// An entry the upstream answered with a newer row: decided by the node engine's rules
    /// with the ledger's base, then written at the site first (so the site never holds less
    /// than the upstream will) and sent up again.
    ///
    /// - Returns: whether the entry moved on (settled, merged or held); false when a site node
    ///   wrote the row meanwhile, which the next round collects.
    private mutating func resolve(
        _ entry: RelayEntry,
        against remote: HubRow,
        declarations: [String: TableDeclaration]
    ) async throws -> Bool {
        guard let reconciler else { return false }
        let base = try ledger.base(table: entry.table, key: entry.key)
        let localData = try entry.data.map { try JSONValue(parsing: $0) }
        let baseData = try base?.data.map { try JSONValue(parsing: $0) }
        let table = relayedTable(entry.table, declarations: declarations, rows: [localData, remote.data, baseData])
        let action = reconciler.decide(
            remote,
            remoteValue: table.value(of: remote),
            base: base.map {
                BaseRow(version: $0.upstreamVersion, data: baseData, hlc: $0.hlc, origin: $0.origin)
            },
            local: .dirty(value: table.completed(localData), held: false, stamp: entry.hlc),
            table: table,
            writer: forwardsWriters ? entry.origin : nil
        )
        let remoteBase = RelayBase(
            upstreamVersion: remote.version,
            data: remote.deleted ? nil : remote.data?.encoded(),
            hlc: remote.hlc,
            origin: remote.origin,
            siteVersion: entry.siteVersion
        )
        switch action {
        case .skip, .apply:
            return false
        case .settle:
            try ledger.settle(entry, base: remoteBase)
        case .takeRemote:
            let change = Change(
                id: Self.changeID(for: remote),
                table: remote.table,
                key: remote.key,
                operation: remote.deleted ? .delete : .upsert,
                baseVersion: entry.siteVersion,
                data: remote.deleted ? nil : remote.data,
                hlc: remote.hlc
            )
            try await fetchChunks(of: [remote])
            let results = try await site.apply([(change, remote.origin)], declarations: upstreamDeclarations)
            // A site node wrote the row meanwhile: its change is collected next round and meets
            // this upstream row again.
            guard let result = results.first, result.status == .applied else { return false }
            var settled = remoteBase
            settled.siteVersion = result.version
            try ledger.settle(entry, base: settled)
        case .pushMerged(let merged):
            let stamp = max(entry.hlc, remote.hlc) + 1
            let writer = upstreamNodeID ?? entry.origin
            let change = Change(
                id: ids.next(),
                table: entry.table,
                key: entry.key,
                operation: merged == nil ? .delete : .upsert,
                baseVersion: entry.siteVersion,
                data: merged,
                hlc: stamp
            )
            let results = try await site.apply([(change, writer)], declarations: declarations)
            guard let result = results.first, result.status == .applied else { return false }
            try ledger.merged(
                RelayEntry(
                    table: entry.table,
                    key: entry.key,
                    siteVersion: result.version,
                    data: merged?.encoded(),
                    deleted: merged == nil,
                    hlc: stamp,
                    origin: writer,
                    changeID: change.id
                ),
                base: remoteBase
            )
        case .park(let conflict, let resolution):
            try ledger.hold(
                entry,
                reason: "The upstream holds a different \(conflict.entityType)/\(conflict.key) and the tenant's rules "
                    + "(\(resolution.strategy)) leave the choice to a person.",
                against: remoteBase
            )
        case .keepBoth:
            try ledger.hold(
                entry,
                reason: "The file changed both here and upstream since they last agreed; a person chooses which stays.",
                against: remoteBase
            )
        }
        return true
    }

    /// Carries out what a person decided for held entries (`outpost hub relay resolve`): the
    /// site's row goes up over the upstream's row it was held against, or that upstream row is
    /// written at the site. A site node's newer change replaces the entry and the decision.
    private func applyDecisions() async throws {
        for (entry, decision, upstream) in try ledger.decided() {
            switch decision {
            case .site:
                try ledger.release(entry, base: upstream)
            case .upstream:
                let data = try upstream.data.map { try JSONValue(parsing: $0) }
                let change = Change(
                    id: "decided-\(entry.changeID)",
                    table: entry.table,
                    key: entry.key,
                    operation: upstream.data == nil ? .delete : .upsert,
                    baseVersion: entry.siteVersion,
                    data: data,
                    hlc: upstream.hlc
                )
                let results = try await site.apply([(change, upstream.origin)], declarations: upstreamDeclarations)
                guard let result = results.first, result.status == .applied else { continue }
                var base = upstream
                base.siteVersion = result.version
                try ledger.settle(entry, base: base)
            }
        }
    }

    // MARK: Upstream to site

    private mutating func pullDown() async throws {
        var cursor = try ledger.cursors().upstream
        while true {
            guard let answer = try await page(after: cursor) else {
                cursor = 0
                continue
            }
            linkRoundTrip = answer.elapsed
            try await count(answer)
            let page = answer.value
            if let epoch = page.epoch {
                let known = try ledger.epoch(of: .upstream)
                if let known, known != epoch || (page.head.map { $0 < cursor } ?? false) {
                    // The upstream was restored from a backup: read it all again and compare.
                    logger.warning("The upstream hub went back in time (restored); comparing every row with it")
                    try ledger.upstreamWentBack(epoch: epoch)
                    cursor = 0
                    continue
                }
                if known == nil { try ledger.setEpoch(epoch, of: .upstream) }
            }
            let comparing = try ledger.isComparing(.upstream)
            if comparing { try compareWithRestoredUpstream(page.rows) }
            let keys = page.rows.map { RowKeyPair(table: $0.table, key: $0.key) }
            let waiting = try ledger.waiting(among: keys)
            let pageBases = try ledger.bases(of: keys)
            var writes: [(change: Change, origin: String, row: HubRow)] = []
            // A table the declarations lack may be new upstream; a table declared without plain
            // types never appears in them, so this asks again at most every few seconds.
            if page.rows.contains(where: { upstreamDeclarations[$0.table] == nil }),
                lastRefresh.map({ ContinuousClock.now - $0 >= .seconds(5) }) ?? true
            {
                try await refresh()
            }
            for row in page.rows {
                let base = pageBases[RowKeyPair(table: row.table, key: row.key)]
                // Known (this hub's own push coming back), or waiting to go up: the push meets
                // this row as a conflict and merges it.
                if let base, row.version <= base.upstreamVersion { continue }
                if waiting.contains(RowKeyPair(table: row.table, key: row.key)) { continue }
                let gone = row.deleted || row.left
                let change = Change(
                    id: Self.changeID(for: row),
                    table: row.table,
                    key: row.key,
                    operation: gone ? .delete : .upsert,
                    baseVersion: base?.siteVersion ?? 0,
                    data: gone ? nil : row.data,
                    hlc: row.hlc
                )
                writes.append((change, row.origin, row))
            }
            try await fetchChunks(of: writes.map(\.row))
            let results = try await applyAtSite(writes.map { ($0.change, $0.origin) })
            var bases: [(table: String, key: String, base: RelayBase)] = []
            for (write, result) in zip(writes, results) {
                switch result.status {
                case .applied:
                    let row = write.row
                    let gone = row.deleted || row.left
                    bases.append(
                        (
                            row.table, row.key,
                            RelayBase(
                                upstreamVersion: row.version,
                                data: gone ? nil : row.data?.encoded(),
                                hlc: row.hlc,
                                origin: row.origin,
                                siteVersion: result.version
                            )
                        )
                    )
                case .conflict:
                    // A site node wrote the row since the relay last looked: collected next
                    // round, its push meets this row and merges.
                    continue
                case .refused:
                    let reason = result.refusal.map { "\($0.code): \($0.reason)" } ?? "refused"
                    try ledger.refusedHere(write.row.table, write.row.key, version: write.row.version, reason: reason)
                    logger.error(
                        "The site hub refused an upstream row; it is not at this site",
                        metadata: ["relay.row": "\(write.row.table)/\(write.row.key)", "relay.refusal": "\(reason)"]
                    )
                }
            }
            try ledger.applied(bases, upstreamCursor: page.cursor)
            cursor = page.cursor
            if !page.more {
                if comparing { try ledger.finishComparingUpstream() }
                break
            }
        }
    }

    /// After the upstream went back: each of its rows against what the site last agreed with
    /// it. A row the upstream holds in an older version than agreed, and with an older stamp,
    /// lost the site's later state: the site's copy is queued to go up again over it. A row
    /// written at the upstream since its restore (newer stamp) is taken as new. Either way the
    /// base now names the upstream's version, so pushes meet the row as it is now.
    private mutating func compareWithRestoredUpstream(_ rows: [HubRow]) throws {
        try ledger.met(rows.map { ($0.table, $0.key) })
        for row in rows {
            guard let base = try ledger.base(table: row.table, key: row.key), row.version < base.upstreamVersion
            else { continue }
            try ledger.meet(
                table: row.table,
                key: row.key,
                version: row.version,
                base: base,
                pushAgain: row.hlc <= base.hlc,
                changeID: ids.next()
            )
        }
    }

    /// Writes upstream rows at the site in one batch; when the site refuses the batch as a whole
    /// for what one row holds, row by row, each row refused alone answered as refused (and
    /// recorded), so one row the site cannot take does not stop the rest coming down.
    private func applyAtSite(_ changes: [(change: Change, origin: String)]) async throws -> [ChangeResult] {
        do {
            return try await site.apply(changes, declarations: upstreamDeclarations)
        } catch let error as HubError where error.isClientError && changes.count > 1 {
            var results: [ChangeResult] = []
            for change in changes {
                do {
                    results += try await site.apply([change], declarations: upstreamDeclarations)
                } catch let alone as HubError where alone.isClientError {
                    results.append(
                        .refused(
                            changeID: change.change.id,
                            ChangeResult.Refusal(code: alone.code, reason: alone.message)
                        )
                    )
                }
            }
            return results
        } catch let error as HubError where error.isClientError {
            return [
                .refused(changeID: changes[0].change.id, ChangeResult.Refusal(code: error.code, reason: error.message))
            ]
        }
    }

    /// The upstream's page after `cursor`, or nil when the upstream asks for a full resync (this
    /// site was away longer than it keeps deletions): the cursor then starts again from 0; rows
    /// the bases know are skipped, the rest applied or merged as usual.
    private func page(after cursor: Int64) async throws -> HubClient.Exchange<PullResponse>? {
        let failure: SyncFailure
        do {
            return try await client.pull(after: cursor, limit: batchSize)
        } catch {
            failure = error
        }
        guard failure.code == .resyncRequired, cursor > 0 else { throw failure }
        logger.warning("The upstream collected deletions this site had not seen; reading it all again")
        try ledger.applied([], upstreamCursor: 0)
        return nil
    }

    /// The change id an upstream row is written under at the site: the id of the change that
    /// wrote it upstream (a hub sends it to a relay credential), else one derived from the
    /// row's place there. Either way the same for the same upstream row, so a relay killed
    /// after writing and before recording it, which writes it again, finds its own change there
    /// and does not write it twice.
    static func changeID(for row: HubRow) -> String {
        row.changeID ?? "upstream-\(row.sequence)-\(row.version)"
    }

    /// What the reconciler needs of a table: its columns from the site's or upstream's
    /// declaration, else those the rows in question have.
    private func relayedTable(
        _ name: String,
        declarations: [String: TableDeclaration],
        rows: [JSONValue?]
    ) -> SyncedTable {
        if let declaration = declarations[name] ?? upstreamDeclarations[name] {
            return SyncedTable(
                relayed: name,
                columns: declaration.columns.map(\.name),
                primaryKey: declaration.primaryKey
            )
        }
        var columns: Set<String> = []
        for case .object(let members)? in rows { columns.formUnion(members.keys) }
        return SyncedTable(relayed: name, columns: columns.sorted(), primaryKey: [])
    }
}
