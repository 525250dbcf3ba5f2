import Foundation
import Synchronization

/// Changes pushed and rows pulled through this hub process, per minute over the last hour, for
/// the dashboard's chart. Kept in memory: a restart starts the hour again, and each process of
/// a hub that several share counts its own requests.
final class HubActivity: Sendable {
    /// One minute's counts.
    struct Minute: Sendable, Equatable {
        /// Minutes since 1970, UTC.
        var index: Int64
        var pushed: Int
        var pulled: Int
    }

    static let minutes = 60
    private let slots = Mutex<[Minute]>(
        Array(repeating: Minute(index: -1, pushed: 0, pulled: 0), count: HubActivity.minutes)
    )

    func recordPush(changes: Int, at date: Date = Date()) { add(date) { $0.pushed += changes } }

    func recordPull(rows: Int, at date: Date = Date()) { add(date) { $0.pulled += rows } }

    /// The last hour, oldest minute first, with zeros for minutes nothing happened in.
    func lastHour(now: Date = Date()) -> [Minute] {
        let current = Self.minute(of: now)
        let kept = slots.withLock { $0 }
        return (0..<Int64(Self.minutes)).reversed().map { back in
            let index = current - back
            let slot = kept[Int(index % Int64(Self.minutes))]
            return slot.index == index ? slot : Minute(index: index, pushed: 0, pulled: 0)
        }
    }

    private func add(_ date: Date, _ change: (inout Minute) -> Void) {
        let index = Self.minute(of: date)
        slots.withLock { slots in
            let slot = Int(index % Int64(Self.minutes))
            if slots[slot].index != index { slots[slot] = Minute(index: index, pushed: 0, pulled: 0) }
            change(&slots[slot])
        }
    }

    private static func minute(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }
}
