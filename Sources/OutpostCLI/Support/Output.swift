import Foundation
import OutpostCore

/// Printing for people (aligned tables) and for scripts (canonical JSON).
enum Output {
    static func json(_ value: JSONValue) {
        print(value.encoded(.pretty), terminator: "")
    }

    /// Any `Encodable` value as pretty, key-sorted JSON.
    static func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    /// Columns padded to their widest cell; long cells are cut with "…" so rows stay on one line.
    static func table(headers: [String], rows: [[String]], maximumCellWidth: Int = 48) {
        guard !rows.isEmpty else {
            print("(none)")
            return
        }
        let cells = rows.map { row in row.map { cut($0, to: maximumCellWidth) } }
        var widths = headers.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, value in
                index == values.count - 1 ? value : value.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(headers))
        print(line(widths.map { String(repeating: "-", count: $0) }))
        for row in cells { print(line(row)) }
    }

    /// Label/value pairs, labels aligned.
    static func fields(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (label, value) in pairs {
            print((label + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + value)
        }
    }

    /// A cell's text for a JSON value: strings bare, null empty, the rest as compact JSON.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case let other?: other.encoded()
        }
    }

    private static func cut(_ text: String, to width: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "⏎")
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }
}
