public import OutpostCore

/// Fills `${…}` references into a step's fields: plain substitution, never evaluation.
///
/// A string that is exactly one reference becomes the referenced value, whatever its type
/// (`"${steps.fetch.output}"` can be an object); a reference inside longer text becomes its
/// text (a string as it is, anything else as compact JSON). `$${` writes a literal `${`.
/// A path is dot-separated names and array indexes: `input.site`, `steps.fetch.output.body.items.0`,
/// `execution.id`, `node.id`. A reference to nothing is an error, not an empty string.
public struct Template: Sendable {
    /// What references can reach: `input`, `steps`, `execution`, `node`.
    public var scope: [String: JSONValue]

    public init(scope: [String: JSONValue]) {
        self.scope = scope
    }

    /// `value` with every reference filled in.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` naming a reference that leads nowhere.
    public func resolve(_ value: JSONValue) throws(OutpostError) -> JSONValue {
        switch value {
        case .string(let text):
            return try resolve(text)
        case .array(let items):
            var resolved: [JSONValue] = []
            for item in items { resolved.append(try resolve(item)) }
            return .array(resolved)
        case .object(let members):
            var resolved: [String: JSONValue] = [:]
            for (key, member) in members { resolved[key] = try resolve(member) }
            return .object(resolved)
        default:
            return value
        }
    }

    private func resolve(_ text: String) throws(OutpostError) -> JSONValue {
        let pieces = Self.pieces(of: text)
        if pieces.count == 1, case .reference(let path) = pieces[0] { return try lookUp(path) }
        var result = ""
        for piece in pieces {
            switch piece {
            case .text(let literal): result += literal
            case .reference(let path):
                let value = try lookUp(path)
                if case .string(let string) = value { result += string } else { result += value.encoded() }
            }
        }
        return .string(result)
    }

    private func lookUp(_ path: String) throws(OutpostError) -> JSONValue {
        let names = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var current: JSONValue? = scope[names[0]]
        for name in names.dropFirst() {
            switch current {
            case .object(let members)?: current = members[name]
            case .array(let items)?: current = Int(name).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: current = nil
            }
        }
        guard let current else {
            throw OutpostError(
                .invalidInput,
                "The reference ${\(path)} leads to nothing: the run's \(names[0]) has no such value.",
                details: ["reference": path]
            )
        }
        return current
    }

    /// The ids of the steps `value` refers to (`${steps.ID…}`), for checking a definition.
    static func stepReferences(in value: JSONValue) -> Set<String> {
        switch value {
        case .string(let text):
            var ids: Set<String> = []
            for case .reference(let path) in pieces(of: text) {
                let names = path.split(separator: ".")
                if names.count >= 2, names[0] == "steps" { ids.insert(String(names[1])) }
            }
            return ids
        case .array(let items):
            return items.reduce(into: []) { $0.formUnion(stepReferences(in: $1)) }
        case .object(let members):
            return members.values.reduce(into: []) { $0.formUnion(stepReferences(in: $1)) }
        default:
            return []
        }
    }

    enum Piece: Equatable {
        case text(String)
        case reference(String)
    }

    /// Splits text into literal pieces and references; an unclosed `${` stays literal text.
    static func pieces(of text: String) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[dollar...]
            if after.hasPrefix("$${") {
                literal += "${"
                rest = after.dropFirst(3)
            } else if after.hasPrefix("${"), let close = after.firstIndex(of: "}") {
                if !literal.isEmpty { pieces.append(.text(literal)) }
                literal = ""
                pieces.append(.reference(String(after[after.index(dollar, offsetBy: 2)..<close])))
                rest = after[after.index(after: close)...]
            } else {
                literal += "$"
                rest = after.dropFirst()
            }
        }
        literal += rest
        if !literal.isEmpty || pieces.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }
}
