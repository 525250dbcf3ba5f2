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

    /// The suggestion as JSON, for `--json` output.
    public var json: JSONValue {
        [
            "id": .string(id), "title": .string(title), "description": .string(description), "value": value,
            "confidence": .double(confidence), "pros": .array(pros.map(JSONValue.string)),
            "cons": .array(cons.map(JSONValue.string)),
        ]
    }
}
