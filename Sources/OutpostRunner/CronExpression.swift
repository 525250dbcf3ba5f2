public import Foundation
public import OutpostCore

/// A five-field cron expression (minute, hour, day of month, month, day of week), in UTC.
///
/// Each field is `*`, a number, a range `a-b`, a list `a,b`, or a step `*/n` / `a-b/n`. Day of
/// week counts from 0 (Sunday) to 6; 7 is Sunday too. As in cron, when both day fields are
/// restricted a day matching either one matches.
public struct CronExpression: Sendable, Equatable {
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthIsAny: Bool
    let dayOfWeekIsAny: Bool

    public init(parsing text: String, field: String = "schedule.cron") throws(OutpostError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 5 else {
            throw WorkflowDefinition.invalid(
                field,
                "'\(text)' has \(parts.count) fields; a cron expression has five: minute hour day-of-month month day-of-week"
            )
        }
        let names = ["minute", "hour", "day of month", "month", "day of week"]
        let ranges = [0...59, 0...23, 1...31, 1...12, 0...7]
        var sets: [Set<Int>] = []
        for index in 0..<5 {
            guard let values = Self.values(parts[index], in: ranges[index]) else {
                throw WorkflowDefinition.invalid(
                    field,
                    "'\(parts[index])' is not a valid \(names[index]) (\(ranges[index].lowerBound)…\(ranges[index].upperBound))"
                )
            }
            sets.append(values)
        }
        minutes = sets[0]
        hours = sets[1]
        daysOfMonth = sets[2]
        months = sets[3]
        daysOfWeek = Set(sets[4].map { $0 % 7 })
        dayOfMonthIsAny = parts[2] == "*"
        dayOfWeekIsAny = parts[4] == "*"
    }

    /// The first whole minute after `date` that the expression matches (within five years).
    public func next(after date: Date) -> Date? {
        var seconds = (Int(date.timeIntervalSince1970.rounded(.down)) / 60 + 1) * 60
        let limit = seconds + 5 * 366 * 86_400
        while seconds < limit {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            guard months.contains(Int(parts.tm_mon) + 1) else {
                // Skip to the first minute of the next month.
                parts.tm_mon += 1
                parts.tm_mday = 1
                parts.tm_hour = 0
                parts.tm_min = 0
                parts.tm_sec = 0
                seconds = Int(timegm(&parts))
                continue
            }
            guard matchesDay(dayOfMonth: Int(parts.tm_mday), dayOfWeek: Int(parts.tm_wday)) else {
                seconds = (seconds / 86_400 + 1) * 86_400
                continue
            }
            guard hours.contains(Int(parts.tm_hour)) else {
                seconds = (seconds / 3_600 + 1) * 3_600
                continue
            }
            if minutes.contains(Int(parts.tm_min)) { return Date(timeIntervalSince1970: TimeInterval(seconds)) }
            seconds += 60
        }
        return nil
    }

    private func matchesDay(dayOfMonth: Int, dayOfWeek: Int) -> Bool {
        switch (dayOfMonthIsAny, dayOfWeekIsAny) {
        case (true, true): true
        case (false, true): daysOfMonth.contains(dayOfMonth)
        case (true, false): daysOfWeek.contains(dayOfWeek)
        case (false, false): daysOfMonth.contains(dayOfMonth) || daysOfWeek.contains(dayOfWeek)
        }
    }

    private static func values(_ field: String, in range: ClosedRange<Int>) -> Set<Int>? {
        var values: Set<Int> = []
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return nil }
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { return nil }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
                guard (1...2).contains(bounds.count), let low = bounds[0], let high = bounds.last!, low <= high,
                    range.contains(low), range.contains(high)
                else { return nil }
                span = pieces.count == 2 && bounds.count == 1 ? low...range.upperBound : low...high
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values.isEmpty ? nil : values
    }
}
