/// How a synced table is declared: its columns with their declared SQLite types, and its
/// primary key. Nodes send it with their pushes; the hub keeps the first declaration of each
/// column and serves them, so another node can add a column it lacks or create the table.
///
/// A declared type is spliced into `ALTER TABLE … ADD COLUMN` and `CREATE TABLE` on other
/// nodes, so only a plain type name is accepted (``isPlainType(_:)``): a constraint smuggled in
/// as a type (`TEXT REFERENCES x`, `INTEGER CHECK (…)`) would change their tables.
public struct TableDeclaration: Codable, Sendable, Equatable {
    /// One column: its name and declared type.
    public struct Column: Codable, Sendable, Equatable {
        public var name: String
        /// The declared type as SQLite reports it (`pragma_table_info`); empty when the column
        /// has none, `nil` when the hub has never been told (columns learned from older nodes).
        public var type: String?

        public init(name: String, type: String?) {
            self.name = name
            self.type = type
        }
    }

    /// Columns in the order the table declares them (on the hub, the order it learned them).
    public var columns: [Column]
    /// Primary-key columns in key order; empty when unknown.
    public var primaryKey: [String]

    public init(columns: [Column], primaryKey: [String]) {
        self.columns = columns
        self.primaryKey = primaryKey
    }

    enum CodingKeys: String, CodingKey {
        case columns
        case primaryKey = "primary_key"
    }

    /// The longest declared type accepted, in bytes.
    public static let maximumTypeBytes = 64

    /// Words that start a column constraint: never part of a type name.
    private static let constraintWords: Set<String> = [
        "AS", "CHECK", "COLLATE", "CONSTRAINT", "DEFAULT", "GENERATED", "NOT", "NULL", "PRIMARY", "REFERENCES",
        "UNIQUE",
    ]

    /// Whether `type` is a plain SQLite type name, safe to splice after a column name: empty, or
    /// at most ``maximumTypeBytes`` bytes of words (letters, digits, `_`) separated by spaces,
    /// optionally followed by one or two numbers in parentheses (`VARCHAR(255)`,
    /// `DECIMAL(10, 2)`), with no constraint keyword among the words.
    public static func isPlainType(_ type: String) -> Bool {
        let bytes = Array(type.utf8)
        guard bytes.count <= maximumTypeBytes else { return false }
        func isWordByte(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || isDigit(byte)
        }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let space = UInt8(ascii: " ")
        var index = 0
        func skipSpaces() { while index < bytes.count, bytes[index] == space { index += 1 } }
        var words: [String] = []
        skipSpaces()
        while index < bytes.count, isWordByte(bytes[index]) {
            let start = index
            while index < bytes.count, isWordByte(bytes[index]) { index += 1 }
            words.append(String(decoding: bytes[start..<index], as: UTF8.self).uppercased())
            skipSpaces()
        }
        if index < bytes.count {
            // The only thing allowed after the words: "(n)" or "(n, n)", and nothing after it.
            guard !words.isEmpty, bytes[index] == UInt8(ascii: "(") else { return false }
            index += 1
            for position in 0..<2 {
                skipSpaces()
                let start = index
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                guard index > start else { return false }
                skipSpaces()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ")") { break }
                guard position == 0, bytes[index] == UInt8(ascii: ",") else { return false }
                index += 1
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: ")") else { return false }
            index += 1
            skipSpaces()
            guard index == bytes.count else { return false }
        }
        return words.allSatisfy { !constraintWords.contains($0) && !isDigit(Array($0.utf8)[0]) }
    }
}
