import Foundation

/// When each scheduled workflow is next due: pure state, driven by the time it is given.
///
/// A workflow seen for the first time is due one interval (or the next cron minute) later, not
/// at once; a firing that finds the workflow still at its concurrency limit is skipped, not
/// queued, so a slow run never piles up a backlog.
struct Scheduler: Sendable {
    private var next: [String: Date] = [:]

    /// The workflows due at `now` among `schedules` (by workflow id); each one's next time moves on.
    mutating func due(_ schedules: [String: Schedule], now: Date) -> [String] {
        next = next.filter { schedules[$0.key] != nil }
        var due: [String] = []
        for (workflowID, schedule) in schedules.sorted(by: { $0.key < $1.key }) {
            guard let at = next[workflowID] else {
                next[workflowID] = schedule.next(after: now)
                continue
            }
            guard at <= now else { continue }
            due.append(workflowID)
            next[workflowID] = schedule.next(after: now)
        }
        return due
    }

    /// When each workflow is next due, soonest first (for `outpost status`).
    var upcoming: [(workflowID: String, at: Date)] {
        next.map { (workflowID: $0.key, at: $0.value) }.sorted { $0.at < $1.at }
    }
}
