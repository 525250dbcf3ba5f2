import Foundation
import HTTPTypes
import OutpostProtocol

/// The parts of a pull every backend shares: paging and the resync answer.
enum PullRules {
    /// The page of `rows` (the first of up to `limit + 1` rows after `after`; `available` says
    /// how many there were in all, when the query cut some already) that holds at most `limit`
    /// rows and `maximumBytes` of row data. A single row over the budget travels alone, so
    /// every row can be pulled; rows left over say "more". A page with nothing more moves the
    /// cursor to `head`, which was read with the rows: a node whose scope skips the tenant's
    /// newest changes still confirms it has everything up to there (tombstones then get
    /// collected), and its next pull starts past them.
    static func page(
        rows: [StoredRow],
        available: Int? = nil,
        after: Int64,
        limit: Int,
        maximumBytes: Int,
        epoch: Int64,
        head: Int64
    ) -> PullPage {
        var kept = 0
        var bytes = 0
        for row in rows.prefix(limit) {
            let size = row.data?.utf8.count ?? 0
            if kept > 0, bytes + size > maximumBytes { break }
            bytes += size
            kept += 1
        }
        let page = rows.prefix(kept)
        let more = (available ?? rows.count) > kept
        let last = page.last?.sequence ?? after
        return PullPage(
            rows: Array(page),
            cursor: more ? last : max(last, head),
            more: more,
            epoch: epoch,
            head: head
        )
    }

    /// A new epoch for a tenant: random, so a restored hub cannot hand out one a node saw.
    static func newEpoch() -> Int64 { Int64.random(in: 1...Int64.max) }

    static func resyncRequired(cursor: Int64, floor: Int64) -> HubError {
        HubError(
            .gone,
            code: ProtocolErrorCode.resyncRequired,
            "Deletions after cursor \(cursor) were collected (the hub now holds history from \(floor) on), "
                + "because the node was away longer than the offline lease. Pull again from cursor 0 to resync; "
                + "the node's own unsynced writes are still accepted."
        )
    }

    /// `now` as SQLite's `CURRENT_TIMESTAMP` text (UTC), for comparisons with stored times.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
