import GRDB
package import OutpostCore
package import OutpostMerge
package import OutpostProtocol
package import OutpostStore

/// Brings a hub row into the node: as is when the node has no local work on the row, else
/// through a three-way merge (base = the node's copy of the last hub state, local = the row as
/// it is now, remote = the hub's row), whose result is written locally and pushed, or parked in
/// `conflict_resolution` for a person when the rules say so.
package struct Reconciler: Sendable {
    var resolver: ConflictResolver
    var nodeID: String

    enum Outcome: Sendable, Equatable {
        /// The hub's row was written as it is.
        case applied
        /// The node already held the hub's row, or a newer state of it.
        case unchanged
        /// Both sides changed; the merge took the hub's row whole.
        case tookRemote
        /// Both sides changed; the merged row was written and queued for push.
        case merged
        /// Both sides changed; a person must decide (`outpost conflicts`).
        case parked
    }

    /// The node's side of a row when a hub version of it arrives.
    package enum LocalState: Sendable, Equatable {
        /// No local work on the row: nothing queued, in flight, held or parked.
        case clean
        /// Local work the hub does not have: the row as it is now (`nil`: deleted), whether a
        /// person holds it (a pending conflict), and the stamp of its newest change.
        case dirty(value: JSONValue?, held: Bool, stamp: Int64)
    }

    /// What to do with a hub row, decided from the row's states alone.
    package enum Action: Sendable, Equatable {
        /// The node already knows this version or a newer one.
        case skip
        /// No local work: write the hub's row as it is.
        case apply
        /// The local row already equals the hub's: record the base, complete the queued change.
        case settle
        /// Two contents of one file: keep both, the loser under a conflict copy's name.
        case keepBoth(FileConflict)
        /// The merge took the hub's row whole.
        case takeRemote
        /// The merge made a row of its own (`nil`: deleted), to write and push.
        case pushMerged(JSONValue?)
        /// A person must decide (or the row is already held for one).
        case park(Conflict, Resolution)
    }

    /// Whether the node already knows `remote`'s version of the row, or a newer one.
    static func isKnown(_ remote: HubRow, base: BaseRow?) -> Bool {
        guard let base else { return false }
        return remote.version <= base.version
    }

    /// The decision for `remote` (its synced columns `remoteValue`, `nil` for a tombstone) given
    /// the node's base and local state: a pure function of its inputs, so every node decides
    /// the same way for the same states.
    /// - Parameter writer: who made the local side, when not this node (a site hub's relay
    ///   deciding for the site node that wrote it), so ties of stamps break as at that node.
    package func decide(
        _ remote: HubRow,
        remoteValue: JSONValue?,
        base: BaseRow?,
        local state: LocalState,
        table: SyncedTable,
        writer: String? = nil
    ) -> Action {
        if Self.isKnown(remote, base: base) { return .skip }
        guard case .dirty(let local, let held, let queuedStamp) = state else { return .apply }
        if local == remoteValue, !held { return .settle }
        let baseValue = table.completed(base?.data)
        let lifted = JSONTextColumns(local: local, remote: remoteValue, base: baseValue)
        let conflict = Conflict(
            entityType: table.name,
            key: remote.key,
            local: lifted.local,
            remote: lifted.remote,
            base: lifted.base,
            localStamp: HybridTimestamp(packed: queuedStamp > 0 ? queuedStamp : base?.hlc ?? 0, node: writer ?? nodeID),
            remoteStamp: HybridTimestamp(packed: remote.hlc, node: remote.origin),
            localVersion: base?.version ?? 0,
            remoteVersion: remote.version,
            priority: table.priority
        )
        let manual = resolver.configuration.rules(for: table.name).strategy == .manual
        if table.name == SyncEngine.fileTable, !held, !manual,
            let clash = FileConflict.decide(
                name: remote.key,
                local: local,
                remote: remoteValue,
                base: baseValue,
                localStamp: conflict.localStamp,
                remoteStamp: conflict.remoteStamp
            )
        {
            return .keepBoth(clash)
        }
        let resolution = resolver.resolve(conflict)
        let settled: JSONValue??
        if let deletion = Self.settleDeletion(local: local, remote: remoteValue, base: baseValue), !manual {
            settled = .some(deletion)
        } else if let value = resolution.value, !resolution.needsApproval {
            settled = .some(lifted.lower(value))
        } else {
            settled = nil
        }
        guard !held, let merged = settled else { return .park(conflict, resolution) }
        return merged == remoteValue ? .takeRemote : .pushMerged(merged)
    }

    /// Takes `remote` into the node: reads the row's states, decides, and carries the decision
    /// out. `epoch` marks the row as seen by the current re-sync.
    ///
    /// - Parameter repair: also for a version the node already has: a row with no local work
    ///   whose synced columns differ from the hub's (written behind capture's back, say) takes
    ///   the hub's value (`outpost resync`).
    func take(
        _ remote: HubRow,
        table: SyncedTable,
        epoch: Int64,
        repair: Bool = false,
        restoring: Bool = false,
        in db: Database
    ) throws -> Outcome {
        let bases = BaseRows(db)
        let outbox = Outbox(db)
        if remote.left {
            // The row left this node's scope: its copy goes, and so does the record of the hub's
            // version, so the row is taken whatever its version if it comes back. Unsynced local
            // work stays: its push is refused by the hub, and parked where people see it.
            guard try !outbox.isDirty(table: table.name, key: remote.key) else { return .unchanged }
            try RowWriter.write(nil, into: table, key: remote.key, in: db)
            try bases.forget(table: table.name, key: remote.key)
            return .applied
        }
        var base = try bases.base(table: table.name, key: remote.key)
        // The hub went back in time and holds an older version than this node saw: what it
        // lost is pushed again, unless the hub's copy was written after the node's (a change
        // made since the restore), which then merges as a row the node has no base for.
        if restoring, let known = base, remote.version < known.version {
            if remote.hlc <= known.hlc { return try pushAgain(remote, table: table, epoch: epoch, in: db) }
            try bases.forget(table: table.name, key: remote.key)
            base = nil
        }
        if Self.isKnown(remote, base: base) {
            if epoch > 0 { try bases.markSeen(table: table.name, key: remote.key, epoch: epoch) }
            guard repair, remote.version == base?.version, try !outbox.isDirty(table: table.name, key: remote.key)
            else { return .unchanged }
            let remoteValue = table.value(of: remote)
            guard try RowWriter.localValue(of: table, key: remote.key, in: db) != remoteValue else { return .unchanged }
            try RowWriter.write(remoteValue, into: table, key: remote.key, in: db)
            try RowWriter.markSynced(table: table, key: remote.key, in: db)
            return .applied
        }
        let state: LocalState =
            try outbox.isDirty(table: table.name, key: remote.key)
            ? .dirty(
                value: try RowWriter.localValue(of: table, key: remote.key, in: db),
                held: try Store.hasPendingSyncConflict(table: table.name, key: remote.key, in: db),
                stamp: try outbox.newestUnconfirmedStamp(table: table.name, key: remote.key)
            ) : .clean
        let remoteValue = table.value(of: remote)
        let action = decide(remote, remoteValue: remoteValue, base: base, local: state, table: table)
        switch action {
        case .skip:
            return .unchanged
        case .apply:
            try RowWriter.write(remoteValue, into: table, key: remote.key, in: db)
            try RowWriter.setBase(from: remote, epoch: epoch, in: db)
            try RowWriter.markSynced(table: table, key: remote.key, in: db)
            return .applied
        case .settle:
            try RowWriter.setBase(from: remote, epoch: epoch, in: db)
            try completeQueued(table: table.name, key: remote.key, in: db)
            try RowWriter.markSynced(table: table, key: remote.key, in: db)
            return .unchanged
        case .keepBoth(let clash):
            return try keepBoth(clash, remote: remote, remoteValue: remoteValue, table: table, epoch: epoch, in: db)
        case .park(let conflict, let resolution):
            try RowWriter.setBase(from: remote, epoch: epoch, in: db)
            _ = try Store.recordConflict(conflict, resolution: resolution, in: db)
            return .parked
        case .takeRemote:
            try RowWriter.setBase(from: remote, epoch: epoch, in: db)
            try RowWriter.write(remoteValue, into: table, key: remote.key, in: db)
            try completeQueued(table: table.name, key: remote.key, in: db)
            try RowWriter.markSynced(table: table, key: remote.key, in: db)
            return .tookRemote
        case .pushMerged(let merged):
            try RowWriter.setBase(from: remote, epoch: epoch, in: db)
            if case .dirty(let local, _, _) = state, merged != local {
                try RowWriter.write(merged, into: table, key: remote.key, in: db)
            }
            try RowWriter.enqueue(table: table, key: remote.key, deleted: merged == nil, in: db)
            return .merged
        }
    }

    /// Makes the hub's (older) row the base and queues the node's copy over it, when they differ.
    private func pushAgain(_ remote: HubRow, table: SyncedTable, epoch: Int64, in db: Database) throws -> Outcome {
        try RowWriter.setBase(from: remote, epoch: epoch, evenIfOlder: true, in: db)
        let local = try RowWriter.localValue(of: table, key: remote.key, in: db)
        guard local != table.value(of: remote) else { return .unchanged }
        try RowWriter.enqueue(table: table, key: remote.key, deleted: local == nil, in: db)
        return .merged
    }

    /// Parks a hub row a local constraint refused (``take(_:table:epoch:in:)`` threw
    /// `SQLITE_CONSTRAINT` and was rolled back): recorded with SQLite's reason as a `constraint`
    /// conflict, so the rest of the page applies and the cursor moves on. The base is left as it
    /// was: the node does not hold the hub's row.
    func park(_ remote: HubRow, table: SyncedTable, reason: String, in db: Database) throws {
        let base = try BaseRows(db).base(table: table.name, key: remote.key)
        let conflict = Conflict(
            entityType: table.name,
            key: remote.key,
            local: try RowWriter.localValue(of: table, key: remote.key, in: db) ?? .null,
            remote: remote.deleted ? .null : remote.data.map(table.syncedValue(of:)) ?? .null,
            base: base?.data,
            localStamp: HybridTimestamp(packed: base?.hlc ?? 0, node: nodeID),
            remoteStamp: HybridTimestamp(packed: remote.hlc, node: remote.origin),
            localVersion: base?.version ?? 0,
            remoteVersion: remote.version,
            priority: table.priority
        )
        _ = try Store.recordConstraintConflict(conflict, reason: reason, in: db)
    }

    /// A delete against a concurrent edit, settled the same way on every node: an edit made
    /// since the base beats the delete (the row lives on, as edited); a side left as the base
    /// was loses to the other side's delete. `nil` when neither side deleted the row (the
    /// resolver merges) or both did (`value` is `nil`: deleted).
    static func settleDeletion(local: JSONValue?, remote: JSONValue?, base: JSONValue?) -> JSONValue?? {
        switch (local, remote) {
        case (nil, nil): .some(nil)
        case (nil, let remote?): .some(remote == base ? nil : remote)
        case (let local?, nil): .some(local == base ? nil : local)
        default: nil
        }
    }

    /// A file both sides changed: the winner keeps the name, the loser becomes a new row (its
    /// chunks are on the hub or here; the fetch phase completes whatever is missing).
    private func keepBoth(
        _ clash: FileConflict,
        remote: HubRow,
        remoteValue: JSONValue?,
        table: SyncedTable,
        epoch: Int64,
        in db: Database
    ) throws -> Outcome {
        try RowWriter.setBase(from: remote, epoch: epoch, in: db)
        var copy = clash.copy
        if case .object(var members) = copy {
            members["name"] = .string(clash.copyName)
            copy = .object(members)
        }
        try RowWriter.write(copy, into: table, key: clash.copyName, in: db)
        try RowWriter.enqueue(table: table, key: clash.copyName, deleted: false, in: db)
        switch clash.winner {
        case .remote:
            try RowWriter.write(remoteValue, into: table, key: remote.key, in: db)
            try completeQueued(table: table.name, key: remote.key, in: db)
            try RowWriter.markSynced(table: table, key: remote.key, in: db)
            return .tookRemote
        case .local:
            try RowWriter.enqueue(table: table, key: remote.key, deleted: false, in: db)
            return .merged
        }
    }

    /// The row's queued change is moot: the node holds what the hub holds.
    private func completeQueued(table: String, key: String, in db: Database) throws {
        try Outbox(db).completePending(table: table, key: key, note: "already on the hub")
    }
}

/// Text columns that hold JSON (an agent's `config`, a workflow's `definition`) parsed for the
/// merge, so its field rules (`config.*`) see inside them, and written back as text after.
struct JSONTextColumns {
    var local: JSONValue
    var remote: JSONValue
    var base: JSONValue?
    private var lifted: Set<String> = []
    private var originals: [(parsed: JSONValue, value: JSONValue?)] = []

    /// A deleted row is `null` to the merge.
    init(local: JSONValue?, remote: JSONValue?, base: JSONValue?) {
        var lifted: Set<String> = []
        func lift(_ value: JSONValue?) -> JSONValue {
            guard case .object(var members)? = value else { return value ?? .null }
            for (name, member) in members {
                guard case .string(let text) = member, let first = text.first, first == "{" || first == "[",
                    let parsed = try? JSONValue(parsing: text)
                else { continue }
                members[name] = parsed
                lifted.insert(name)
            }
            return .object(members)
        }
        self.local = lift(local)
        self.remote = lift(remote)
        self.base = base.map { lift($0) }
        self.lifted = lifted
        originals = [(self.remote, remote), (self.local, local)]
    }

    /// The merge's result as a row again: lifted members back to text (a side's own text when
    /// the merge kept its value, so formatting does not count as an edit); `null` is a deletion.
    func lower(_ value: JSONValue) -> JSONValue? {
        guard case .object(var members) = value else { return value == .null ? nil : value }
        for name in lifted {
            guard let member = members[name], member.isContainer else { continue }
            let original = originals.first { $0.parsed[name] == member }?.value?[name]
            members[name] = original ?? .string(member.encoded())
        }
        return .object(members)
    }
}

extension JSONValue {
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
