import Foundation
import OutpostCore

/// A JSON document given on the command line, inline or as `@path/to/file.json`.
enum JSONArgument {
    /// Parses `text`, or the file it names with a leading `@`; errors name the option and the
    /// line and column of the mistake.
    static func parse(_ text: String, option: String) throws(OutpostError) -> JSONValue {
        var source = text
        var origin = "--\(option)"
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw OutpostError(.invalidInput, "Cannot read \(path) (given to --\(option)): no such readable file.")
            }
            source = String(decoding: data, as: UTF8.self)
            origin = path
        }
        do {
            return try JSONValue(parsing: source)
        } catch {
            throw OutpostError(.invalidJSON, "\(origin) is not valid JSON: \(error.message)", details: error.details)
        }
    }

    /// Like ``parse(_:option:)`` but requires a JSON object, as configs and definitions are.
    static func parseObject(_ text: String, option: String) throws(OutpostError) -> JSONValue {
        let value = try parse(text, option: option)
        guard case .object = value else {
            throw OutpostError(.invalidInput, "--\(option) must be a JSON object ({…}), not a \(value.typeName).")
        }
        return value
    }
}
