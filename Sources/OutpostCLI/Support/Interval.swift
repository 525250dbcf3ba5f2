import ArgumentParser
import Foundation

/// A time interval on the command line: a plain number of minutes, or a number with `s`, `m`
/// or `h`; at most a year.
struct Interval: ExpressibleByArgument {
    var duration: Duration

    static let maximumSeconds: Double = 366 * 24 * 3600

    var defaultValueDescription: String { "\(duration.components.seconds)s" }

    init(duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        let text = argument.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("s", 1), ("m", 60), ("h", 3600)]
        let unit = units.first { suffix, _ in text.hasSuffix(suffix) }
        guard let number = Double(unit.map { _ in String(text.dropLast()) } ?? text), number >= 0, number.isFinite,
            number * (unit?.1 ?? 60) <= Self.maximumSeconds
        else {
            return nil
        }
        duration = .milliseconds(Int64(number * (unit?.1 ?? 60) * 1000))
    }
}
