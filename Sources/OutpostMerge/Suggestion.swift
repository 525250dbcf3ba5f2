public import OutpostCore

/// A resolution a person can pick for a conflict that was not (or not surely) resolved.
///
/// The seed's three: `keep_local`, `keep_remote` and `smart_merge` (a rule-guided three-way
/// merge, offered when it differs from both sides).
public struct Suggestion: Hashable, Sendable {
    /// `keep_local`, `keep_remote` or `smart_merge`.
    public var id: String
    public var title: String
    public var description: String
    /// The row this suggestion would write.
    public var value: JSONValue
    public var confidence: Double
    public var pros: [String]
    public var cons: [String]

    public init(
        id: String,
        title: String,
        description: String,
        value: JSONValue,
        confidence: Double,
        pros: [String],
        cons: [String]
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.value = value
        self.confidence = confidence
        self.pros = pros
        self.cons = cons
    }

    /// Reads back what ``json`` wrote (a stored suggestion); `nil` for JSON of another shape.
    public init?(json: JSONValue) {
        guard case .string(let id)? = json["id"], case .string(let title)? = json["title"],
            case .string(let description)? = json["description"], let value = json["value"],
            case .array(let pros)? = json["pros"], case .array(let cons)? = json["cons"]
        else { return nil }
        let confidence: Double
        switch json["confidence"] {
        case .double(let number)?: confidence = number
        case .integer(let number)?: confidence = Double(number)
        default: return nil
        }
        self.init(
            id: id,
            title: title,
            description: description,
            value: value,
            confidence: confidence,
            pros: pros.compactMap(\.stringValue),
            cons: cons.compactMap(\.stringValue)
        )
    }

    /// The suggestion as JSON, for `--json` output and the conflict queue.
    public var json: JSONValue {
        [
            "id": .string(id), "title": .string(title), "description": .string(description), "value": value,
            "confidence": .double(confidence), "pros": .array(pros.map(JSONValue.string)),
            "cons": .array(cons.map(JSONValue.string)),
        ]
    }
}
