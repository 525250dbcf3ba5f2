public import OutpostCore

/// A tenant's scopes: per table, which rows each node receives and what it may write.
///
/// ```json
/// {"tables": {
///     "readings":   {"rows": {"column": "site", "equals": "node.site"}, "write": "read-write"},
///     "catalog":    {"write": "read-only"},
///     "executions": {"write": "upload-only"}}}
/// ```
///
/// A table the file does not name is shared as before: every node receives all of its rows and
/// may write them.
///
/// Rows are sorted into buckets (``bucket(table:data:origin:)``): a row's bucket depends only on
/// the row, a node receives the buckets its attributes open (``NodeScope``). The hub keeps each
/// row's bucket beside it, indexed, so a pull reads only its node's buckets.
public struct ScopeRules: Sendable, Equatable {
    /// Which rows of a table a node receives.
    public enum Rows: Sendable, Equatable {
        /// Every row (the default).
        case all
        /// No row: the table's rows stay on the hub.
        case none
        /// Rows the node itself wrote last.
        case own
        /// Rows whose `column` holds the value of the node's `attribute` (`node.site`).
        case equals(column: String, attribute: String)
        /// Rows whose `column` holds one of the comma-separated values of the node's `attribute`.
        case oneOf(column: String, attribute: String)

        /// The rule in a few words, for people (`site = node.site`).
        public var summary: String {
            switch self {
            case .all: "all rows"
            case .none: "no rows"
            case .own: "rows the node wrote"
            case .equals(let column, let attribute): "\(column) = node.\(attribute)"
            case .oneOf(let column, let attribute): "\(column) in node.\(attribute)"
            }
        }
    }

    /// What a node may write to a table.
    public enum Write: String, Sendable, Equatable, CaseIterable {
        /// Insert rows in its scope, edit and delete rows it can see (also out of its scope).
        case readWrite = "read-write"
        /// Nothing: every change is refused.
        case readOnly = "read-only"
        /// Insert rows, and edit or delete the rows it wrote; it receives none.
        case uploadOnly = "upload-only"
    }

    /// One table's scope.
    public struct Table: Sendable, Equatable {
        public var rows: Rows
        public var write: Write

        public init(rows: Rows = .all, write: Write = .readWrite) {
            self.rows = rows
            self.write = write
        }

        /// What a node receives: upload-only tables send nothing down.
        var received: Rows { write == .uploadOnly ? .none : rows }
    }

    public var tables: [String: Table]

    public init(tables: [String: Table] = [:]) {
        self.tables = tables
    }

    /// The bucket every node receives: rows of tables without a row scope.
    static let everyone = ""

    /// The bucket a row belongs to: the same for every node, so it can be stored with the row.
    ///
    /// - `""`: every node's (tables not scoped by row);
    /// - `TABLE:VALUE`: the nodes whose attribute holds the value of the row's scope column;
    /// - `TABLE@NODE`: the node that wrote it (rows `own`);
    /// - `TABLE!`: no node's (rows `none`, upload-only tables, and rows whose scope column is
    ///   missing, null, or not a single value).
    ///
    /// Table names are identifiers, so the separators cannot occur in them.
    func bucket(table: String, data: JSONValue?, origin: String) -> String {
        guard let scope = tables[table] else { return Self.everyone }
        switch scope.received {
        case .all: return Self.everyone
        case .none: return Self.nobody(table)
        case .own: return "\(table)@\(origin)"
        case .equals(let column, _), .oneOf(let column, _):
            guard let value = data?[column].flatMap(Self.scopeValue) else { return Self.nobody(table) }
            return "\(table):\(value)"
        }
    }

    static func nobody(_ table: String) -> String { "\(table)!" }

    /// A column's value as bucket text: a string as it is, a number or a boolean as JSON writes
    /// it (`3`, `true`), so `--attr line=3` matches the integer 3 and the string "3" alike.
    static func scopeValue(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .integer, .double, .bool: value.encoded()
        default: nil
        }
    }
}

extension ScopeRules {
    /// The tables whose rows sort into buckets differently under these scopes than under `old`.
    func tablesChanged(since old: ScopeRules) -> [String] {
        Set(tables.keys).union(old.tables.keys).filter { tables[$0]?.received != old.tables[$0]?.received }.sorted()
    }

    /// A stored row's bucket under these scopes; a tombstone's data is gone, so it goes to every
    /// node (they learn that a key they may never have had was deleted, nothing more).
    func bucket(table: String, storedData: String?, deleted: Bool, origin: String, key: String) throws(HubError)
        -> String
    {
        if deleted { return Self.everyone }
        return bucket(table: table, data: try StoredRow.parse(storedData, table: table, key: key), origin: origin)
    }
}
