public import OutpostCore

/// Durations as a definition spells them: `"500ms"`, `"10s"`, `"5m"`, `"1h"`, or a number of
/// seconds.
enum DurationText {
    static func parse(_ value: JSONValue, field: String) throws(OutpostError) -> Duration {
        switch value {
        case .integer(let seconds) where seconds > 0:
            return .seconds(seconds)
        case .double(let seconds) where seconds > 0 && seconds.isFinite:
            return .milliseconds(Int64((seconds * 1000).rounded()))
        case .string(let text):
            let units: [(suffix: String, milliseconds: Double)] = [
                ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000),
            ]
            for unit in units where text.hasSuffix(unit.suffix) {
                if let number = Double(text.dropLast(unit.suffix.count)), number > 0, number.isFinite {
                    return .milliseconds(Int64((number * unit.milliseconds).rounded()))
                }
            }
        default:
            break
        }
        throw WorkflowDefinition.invalid(
            field,
            "\(value.encoded()) is not a duration; write a positive number with a unit: \"500ms\", \"10s\", \"5m\", \"1h\""
        )
    }
}

extension Duration {
    /// Whole milliseconds, for the run's records.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
