import Foundation

/// A settings file: the small part of TOML an operator needs to write down command-line
/// options, read with the line of every value so a refusal can name it.
///
/// ```toml
/// # every `outpost run` on this node
/// [run]
/// bandwidth = "64k"
/// max-runs = 2
///
/// [hub.serve]          # `outpost hub serve`
/// host = "0.0.0.0"
/// ```
///
/// A `[section]` names a command by its words, joined with dots; keys are the command's long
/// option names. Keys before the first section apply to every command that has the option.
/// Values are strings (`"…"` with `\"`, `\\`, `\n`, `\t` escapes, or `'…'` as written),
/// integers, decimals, `true`/`false`, and one-line arrays of those for options that repeat.
/// Anything else (tables of tables, dates, multi-line strings) is refused with its line.
public struct SettingsFile: Sendable, Equatable {
    /// One `key = value` line.
    public struct Entry: Sendable, Equatable {
        /// The command words of the section it is in; empty before the first section.
        public var section: [String]
        public var key: String
        public var value: Value
        /// 1-based line number in the file.
        public var line: Int
        /// The line of its section's header (0 before the first section).
        public var sectionLine: Int
    }

    /// A value as written.
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case decimal(Double)
        case bool(Bool)
        case array([Value])

        /// The value as one command-line argument (arrays give one argument per element).
        public var arguments: [String] {
            switch self {
            case .string(let text): [text]
            case .integer(let number): [String(number)]
            case .decimal(let number): [String(number)]
            case .bool(let flag): [flag ? "true" : "false"]
            case .array(let values): values.flatMap(\.arguments)
            }
        }
    }

    /// Where the file was read from, for messages.
    public var path: String
    public var entries: [Entry]

    public init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = entries
    }

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when it does not exist, `.invalidInput` naming
    ///   the file and line of the first thing it cannot read.
    public static func read(_ path: String) throws(OutpostError) -> SettingsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw OutpostError(.notFound, "The settings file \(path) does not exist.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OutpostError(.invalidInput, "The settings file \(path) cannot be read (check its permissions).")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw OutpostError(.invalidInput, "\(path): the settings file is not UTF-8 text.")
        }
        return try parse(text, path: path)
    }

    /// Parses settings text; `path` only labels messages.
    public static func parse(_ text: String, path: String) throws(OutpostError) -> SettingsFile {
        var entries: [Entry] = []
        var section: [String] = []
        var sectionLine = 0
        var seenSections: Set<[String]> = [[]]
        var seenKeys: Set<[String]> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            func refuse(_ reason: String) -> OutpostError {
                OutpostError(
                    .invalidInput,
                    "\(path):\(line): \(reason)",
                    details: ["file": path, "line": String(line)]
                )
            }
            var scanner = LineScanner(Substring(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine))
            scanner.skipSpaces()
            if scanner.atEndOrComment { continue }
            if scanner.take("[") {
                scanner.skipSpaces()
                var words: [String] = []
                repeat {
                    scanner.skipSpaces()
                    guard let word = scanner.bareKey() else { throw refuse("a section is [command] or [command.sub]") }
                    words.append(word)
                    scanner.skipSpaces()
                } while scanner.take(".")
                guard scanner.take("]") else { throw refuse("a section header ends with ']'") }
                scanner.skipSpaces()
                guard scanner.atEndOrComment else { throw refuse("nothing may follow a section header but a comment") }
                guard seenSections.insert(words).inserted else {
                    throw refuse("section [\(words.joined(separator: "."))] appears twice; keep one")
                }
                section = words
                sectionLine = line
                continue
            }
            guard let key = scanner.bareKey() else {
                throw refuse("expected `option-name = value`, a [section] or a # comment")
            }
            scanner.skipSpaces()
            guard scanner.take("=") else { throw refuse("expected '=' after \(key)") }
            scanner.skipSpaces()
            let value: Value
            do { value = try scanner.value(allowArray: true) } catch { throw refuse("\(key): \(error.reason)") }
            scanner.skipSpaces()
            guard scanner.atEndOrComment else { throw refuse("\(key): unexpected text after the value") }
            guard seenKeys.insert(section + [key]).inserted else {
                throw refuse("\(key) is set twice in this section; keep one")
            }
            entries.append(Entry(section: section, key: key, value: value, line: line, sectionLine: sectionLine))
        }
        return SettingsFile(path: path, entries: entries)
    }
}

/// Reads one line of a settings file from left to right.
private struct LineScanner {
    struct Refusal: Error {
        var reason: String
    }

    private var rest: Substring

    init(_ line: Substring) { rest = line }

    var atEndOrComment: Bool { rest.isEmpty || rest.first == "#" }

    mutating func skipSpaces() { rest = rest.drop { $0 == " " || $0 == "\t" } }

    mutating func take(_ character: Character) -> Bool {
        guard rest.first == character else { return false }
        rest = rest.dropFirst()
        return true
    }

    mutating func bareKey() -> String? {
        let key = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        guard !key.isEmpty else { return nil }
        rest = rest.dropFirst(key.count)
        return String(key)
    }

    mutating func value(allowArray: Bool) throws(Refusal) -> SettingsFile.Value {
        guard let first = rest.first else { throw Refusal(reason: "a value is missing") }
        switch first {
        case "\"": return .string(try basicString())
        case "'":
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: "'") else { throw Refusal(reason: "the string has no closing '") }
            let text = String(rest[..<end])
            rest = rest[rest.index(after: end)...]
            return .string(text)
        case "[":
            guard allowArray else { throw Refusal(reason: "arrays do not nest") }
            rest = rest.dropFirst()
            var values: [SettingsFile.Value] = []
            skipSpaces()
            if take("]") { return .array(values) }
            while true {
                skipSpaces()
                values.append(try value(allowArray: false))
                skipSpaces()
                if take("]") { return .array(values) }
                guard take(",") else { throw Refusal(reason: "array elements are separated by ',' and end with ']'") }
                skipSpaces()
                if take("]") { return .array(values) }
            }
        default:
            let word = rest.prefix { !($0 == " " || $0 == "\t" || $0 == "#" || $0 == "," || $0 == "]") }
            rest = rest.dropFirst(word.count)
            let text = word.replacingOccurrences(of: "_", with: "")
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            if let number = Int64(text) { return .integer(number) }
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let number = Double(text),
                number.isFinite
            {
                return .decimal(number)
            }
            throw Refusal(
                reason: "'\(word)' is not a value: quote text (\"…\"), or write a number, true or false"
            )
        }
    }

    private mutating func basicString() throws(Refusal) -> String {
        rest = rest.dropFirst()
        var text = ""
        while let character = rest.first {
            rest = rest.dropFirst()
            switch character {
            case "\"": return text
            case "\\":
                guard let escaped = rest.first else { break }
                rest = rest.dropFirst()
                switch escaped {
                case "\"": text.append("\"")
                case "\\": text.append("\\")
                case "n": text.append("\n")
                case "t": text.append("\t")
                default: throw Refusal(reason: "unknown escape \\\(escaped) (use \\\", \\\\, \\n or \\t)")
                }
            default: text.append(character)
            }
        }
        throw Refusal(reason: "the string has no closing \"")
    }
}
