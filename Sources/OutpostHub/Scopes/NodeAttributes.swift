public import OutpostCore

/// What an operator says about a node (`site=berlin`, `line=3`), which scopes match rows
/// against. Kept by the hub as a JSON object of strings.
public struct NodeAttributes: Sendable, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Reads `NAME=VALUE` settings as given on a command line.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` naming the setting that is not `NAME=VALUE`,
    ///   uses a name scopes cannot refer to, or sets a built-in (`id`, `name`).
    public init(settings: [String]) throws(OutpostError) {
        var values: [String: String] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "=") else {
                throw OutpostError(.invalidInput, "Attribute '\(setting.prefix(80))' is not NAME=VALUE.")
            }
            let name = String(setting[..<equals])
            let value = String(setting[setting.index(after: equals)...])
            guard Self.isValidName(name), !Self.builtIn.contains(name) else {
                throw OutpostError(
                    .invalidInput,
                    "Attribute name '\(name.prefix(80))' is not valid: use letters, digits, '_' or '-' "
                        + "(at most 63), and not \(Self.builtIn.sorted().joined(separator: " or ")), which every node has."
                )
            }
            guard value.utf8.count <= 1024, !value.contains("\0") else {
                throw OutpostError(.invalidInput, "Attribute '\(name)' has a value over 1,024 bytes or a NUL byte.")
            }
            values[name] = value
        }
        self.init(values)
    }

    /// Reads the JSON object text the hub keeps (nil or unreadable text: no attributes).
    init(stored text: String?) {
        guard let text, case .object(let members)? = try? JSONValue(parsing: text) else {
            self.init()
            return
        }
        self.init(members.compactMapValues(\.stringValue))
    }

    /// The JSON object text the hub keeps.
    var stored: String { JSONValue.object(values.mapValues(JSONValue.string)).encoded() }

    /// `NAME=VALUE` pairs sorted by name, as `hub node list` shows them.
    public var settings: [String] { values.keys.sorted().map { "\($0)=\(values[$0]!)" } }

    /// Attributes every node has without being given them: its hub id and its name.
    static let builtIn: Set<String> = ["id", "name"]

    static func isValidName(_ name: String) -> Bool {
        (1...63).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
    }
}
