import HTTPTypes
import OutpostCore
import OutpostProtocol

/// What a push does, decided without I/O from the batch and the rows it touches.
///
/// Per change: the same change id as the row's current version → already applied (a retry),
/// answer as before; base version equal to the hub's → apply, version + 1, the change's
/// sequence number; base version older → conflict, answer with the hub's row; base version newer
/// than anything the hub has → the whole batch is refused (the node cannot have seen it).
///
/// A row the hub does not hold starts at ``firstVersion(tombstoneFloor:)``, not always at 1: a
/// row deleted, its tombstone collected, and written again must get a version above every
/// version any node saw of it, or nodes whose base is the old tombstone would skip it.
///
/// Every change of a batch is given a sequence number by its place in the batch
/// (`last + 1 + index`), whether or not it is written: pulls then see a batch's rows in the order
/// it sent them (an agent before its workflows), and a change that is not written leaves a gap,
/// which cursors do not mind (they need numbers that grow in commit order, not contiguous ones).
///
/// With scopes (``NodeScope``), a change the node may not make is refused by itself (the rest of
/// the batch goes on); the visibility check comes before the version checks, so a conflict
/// answer never shows the node a row outside its scope. Each written row gets its bucket, and a
/// row an edit moves to another bucket leaves an exit (``ScopeExit``) for the nodes that had it.
struct PushPlan: Sendable, Equatable {
    var writes: [StoredRow]
    var results: [ChangeResult]
    var exits: [ScopeExit] = []
    /// - Parameters:
    ///   - changes: a validated batch (one change per row), or part of one.
    ///   - sequences: each change's sequence number (see ``sequences(after:count:)``).
    ///   - current: the rows the changes touch, as the hub holds them now.
    ///   - node: the pushing node's hub id.
    ///   - firstVersion: the version of a row the hub does not hold (see ``firstVersion(tombstoneFloor:)``).
    ///   - scope: the pushing node's scope, when its tenant has scopes.
    ///   - acceptsRefusals: whether the node reads refused results (protocol 2); if not, a
    ///     refusal refuses the whole batch, which the node splits until the change is parked.
    init(
        changes: [PushedChange],
        sequences: [Int64],
        current: [RowKey: StoredRow],
        node: String,
        firstVersion: Int64 = 1,
        scope: NodeScope? = nil,
        acceptsRefusals: Bool = true
    ) throws(HubError) {
        precondition(sequences.count == changes.count, "one sequence number per change")
        var writes: [StoredRow] = []
        var results: [ChangeResult] = []
        var exits: [ScopeExit] = []
        func refuse(_ change: PushedChange, at index: Int, _ refusal: ChangeResult.Refusal) throws(HubError) {
            guard acceptsRefusals else {
                throw HubError(.unprocessableContent, code: refusal.code, "changes[\(index)]: \(refusal.reason)")
            }
            results.append(.refused(changeID: change.id, refusal))
        }
        writes.reserveCapacity(changes.count)
        results.reserveCapacity(changes.count)
        for (index, change) in changes.enumerated() {
            let existing = current[RowKey(table: change.table, key: change.key)]
            if let existing, existing.changeID == change.id {
                results.append(
                    ChangeResult(
                        changeID: change.id,
                        status: .applied,
                        version: existing.version,
                        sequence: existing.sequence
                    )
                )
                continue
            }
            let scoped = scope.flatMap { $0.rules.tables[change.table] == nil ? nil : $0 }
            if let scoped, let refusal = scoped.refusal(touching: existing, by: change) {
                try refuse(change, at: index, refusal)
                continue
            }
            let currentVersion = existing?.version ?? 0
            if change.baseVersion > currentVersion {
                throw HubError(
                    .conflict,
                    code: ProtocolErrorCode.futureBaseVersion,
                    "changes[\(index)] is based on version \(change.baseVersion) of \(change.table)/\(change.key), "
                        + "but the hub's newest is \(currentVersion). The node's record of the hub is wrong; "
                        + "it should resync."
                )
            }
            if change.baseVersion < currentVersion, let existing {
                results.append(
                    ChangeResult(
                        changeID: change.id,
                        status: .conflict,
                        version: currentVersion,
                        current: try existing.hubRow()
                    )
                )
                continue
            }
            if change.operation == .delete, existing == nil || existing?.deleted == true {
                // Nothing to delete: the row never reached the hub, or is already gone.
                results.append(ChangeResult(changeID: change.id, status: .applied, version: currentVersion))
                continue
            }
            var data = change.operation == .delete ? nil : change.data?.text
            if change.partial, let fields = try Self.columns(of: change) {
                guard let existing, !existing.deleted, case .object(var merged)? = try existing.value() else {
                    throw HubError(
                        .conflict,
                        code: "invalid_partial",
                        "changes[\(index)] sends only some columns of \(change.table)/\(change.key), which the hub "
                            + "does not hold; send the whole row."
                    )
                }
                merged.merge(fields) { _, new in new }
                data = JSONValue.object(merged).encoded()
            }
            let sequence = sequences[index]
            let live = existing.flatMap { $0.deleted ? nil : $0 }
            var bucket = ScopeRules.everyone
            if let scoped {
                bucket =
                    if change.operation == .delete {
                        live?.bucket ?? ScopeRules.everyone
                    } else {
                        scoped.rules.bucket(
                            table: change.table,
                            data: try StoredRow.parse(data, table: change.table, key: change.key),
                            origin: change.origin ?? node
                        )
                    }
                if live == nil, let refusal = scoped.refusal(creating: change, in: bucket) {
                    try refuse(change, at: index, refusal)
                    continue
                }
            }
            let row = StoredRow(
                table: change.table,
                key: change.key,
                version: existing == nil ? firstVersion : currentVersion + 1,
                data: data,
                deleted: change.operation == .delete,
                hlc: change.hlc,
                origin: change.origin ?? node,
                changeID: change.id,
                sequence: sequence,
                bucket: bucket,
                priority: change.priority
            )
            writes.append(row)
            if let live, live.bucket != bucket {
                exits.append(ScopeExit(leaving: live.bucket, row: row))
            }
            results.append(
                ChangeResult(changeID: change.id, status: .applied, version: row.version, sequence: sequence)
            )
        }
        self.writes = writes
        self.results = results
        self.exits = exits
    }

    /// The version a row the hub does not hold starts at: above every version of a collected
    /// tombstone. A version never exceeds the sequence number of the change that made it (each
    /// change of a row adds 1 to its version and takes at least one sequence number), so the
    /// tenant's `tombstone_floor` (the highest sequence number collected) bounds them all.
    static func firstVersion(tombstoneFloor: Int64) -> Int64 {
        tombstoneFloor + 1
    }

    /// A partial change's columns as values, to merge into the hub's row.
    private static func columns(of change: PushedChange) throws(HubError) -> [String: JSONValue]? {
        do {
            return try change.data?.value().objectValue
        } catch {
            throw .invalid(
                "invalid_json",
                "The data of \(change.table)/\(change.key) is not valid JSON: \(error.message)"
            )
        }
    }

    /// The sequence numbers of a batch of `count` changes after `last`, one per change in order.
    static func sequences(after last: Int64, count: Int) -> [Int64] {
        (0..<count).map { last + 1 + Int64($0) }
    }
}
