package import GRDB
import OutpostCore

/// The node's hybrid-logical-clock floor (`outpost_clock`): every stamp a node gives a change is
/// above it, and it is raised past every stamp the node has seen, so stamps never go back.
///
/// Stamps are computed in SQL, by the capture triggers, as ``HybridLogicalClock/tick(now:)``
/// would: `max(wall clock packed, floor + 1)`. The triggers read the floor instead of advancing
/// it (8 % cheaper per captured write), so stamps of two different rows may be equal; the stamps
/// of one row only grow, because a coalesced entry's stamp is also raised past its previous one.
/// Remote stamps raise the floor through ``HybridLogicalClock/trusted(_:now:maximumDrift:)``, the
/// clock's own drift rule.
package struct ClockFloor {
    package let db: Database

    package init(_ db: Database) { self.db = db }

    /// A fresh local stamp as an SQL expression; the capture triggers splice it in.
    ///
    /// SQLite keeps 'now' as whole milliseconds, but `julianday` gives it as a fraction of a
    /// day; `round` recovers the millisecond that truncation would sometimes put one below.
    static let freshStampSQL =
        "max(CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * "
        + "\(1 << HybridTimestamp.counterBits), (SELECT hlc FROM outpost_clock WHERE id = 1) + 1)"

    /// A stamp as a capture trigger makes one now.
    package func freshStamp() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT \(Self.freshStampSQL)") ?? 0
    }

    /// The floor's current value (packed).
    package func value() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT hlc FROM outpost_clock WHERE id = 1") ?? 0
    }

    /// Folds in a stamp received from the hub: later local stamps are above it, as far as the
    /// clock's drift rule trusts it.
    package func observe(remote stamp: Int64, now: UInt64 = WallClock.milliseconds()) throws {
        guard stamp > 0 else { return }
        try raise(to: HybridLogicalClock.trusted(stamp, now: now))
    }

    /// Raises the floor to a stamp this node gave out itself (a change the hub confirmed), so
    /// the row's next change outranks it even within the same millisecond. Not clamped: the
    /// stamp came from this clock.
    package func confirm(own stamp: Int64) throws {
        try raise(to: stamp)
    }

    /// Raises the floor past every stamp in the queue, so that a wall clock set back while the
    /// node was down cannot give new changes older stamps than earlier ones. Run at open.
    package func raisePastQueue() throws {
        try raise(to: Outbox(db).newestStamp())
    }

    private func raise(to stamp: Int64) throws {
        try db.execute(sql: "UPDATE outpost_clock SET hlc = max(hlc, ?) WHERE id = 1", arguments: [stamp])
    }
}
