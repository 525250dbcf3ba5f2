import GRDB
import Logging
import OutpostProtocol
public import OutpostStore

extension SyncEngine {
    /// Records that `outpost remote set` named a URL other than the one the node synced with:
    /// the next push or pull first finds out whether it is another hub.
    public static func noteRemoteChanged(in store: Store) throws {
        try store.write { db in try SyncState.set(.remoteChanged, to: 1, in: db) }
    }

    /// After the remote changed: the same hub under a new address (its tenant epoch is the one
    /// this node knows) changes nothing; another hub (a node moved from a site hub to the cloud
    /// or back) counts versions differently, so the node forgets the old hub's versions (keeping
    /// each row's content as the base to merge with), puts a batch in flight back in the queue,
    /// and pulls every row again, pushing any row the new hub lacks. Its own unsynced changes
    /// then reach the new hub as conflicts that merge, never as blind overwrites: nothing is
    /// lost and nothing applied twice.
    func settleMove() async throws(SyncFailure) {
        let (changed, knownEpoch, epoch) = try await guarded {
            try await store.read { db in
                (
                    try SyncState.value(.remoteChanged, in: db) == 1, try SyncState.value(.hubEpoch, in: db),
                    try SyncState.value(.epoch, in: db)
                )
            }
        }
        guard changed else { return }
        let page = try await client.pull(after: 0, limit: 1).value
        let sameHub = knownEpoch != 0 && page.epoch == knownEpoch
        try await guarded {
            try await store.write { db in
                if !sameHub {
                    try BaseRows(db).forgetVersions()
                    try Outbox(db).requeueInFlight()
                    try SyncState.set(.hubEpoch, to: page.epoch ?? 0, in: db)
                    try SyncState.set(.epoch, to: epoch + 1, in: db)
                    try SyncState.set(.resyncing, to: 1, in: db)
                    // As after a restored hub: a row the new hub lacks is pushed, never dropped
                    // (it may be one the old hub had not yet passed on, or a backup's loss).
                    try SyncState.set(.restoring, to: 1, in: db)
                    try SyncState.set(.cursor, to: 0, in: db)
                }
                try SyncState.set(.remoteChanged, to: 0, in: db)
            }
        }
        if !sameHub {
            logger.notice("This node now syncs with another hub; it pulls every row again and merges its own changes")
        }
    }
}
