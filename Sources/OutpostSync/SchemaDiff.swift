public import OutpostCore
public import OutpostStore

/// How a node's tracked tables differ from the hub's declarations (`outpost schema diff`).
///
/// Names are compared without case, as SQLite compares them; declared types likewise, and only
/// where the hub was told one (columns learned from nodes older than declarations have none).
public struct SchemaDiff: Sendable, Equatable, Encodable {
    /// A column whose declared type differs between the node and the hub.
    public struct TypeDifference: Sendable, Equatable, Encodable {
        public var column: String
        public var node: String
        public var hub: String
    }

    /// One tracked table, compared with the hub's declaration of it.
    public struct Table: Sendable, Equatable, Encodable {
        public var name: String
        /// Whether the hub knows the table (it learns a table from the first push of its rows).
        public var onHub: Bool
        /// Columns the hub knows that this table lacks, with their declared types: what adding
        /// the hub's columns would add.
        public var missingHere: [TableDeclaration.Column]
        /// Synced columns the hub does not know yet; the next push of the table declares them.
        public var missingOnHub: [String]
        /// Columns kept on this node only (`outpost track --local-columns`): never on the hub.
        public var localOnly: [String]
        public var typeDifferences: [TypeDifference]

        /// Whether the table matches the hub's declaration (local-only columns aside).
        public var matches: Bool {
            onHub && missingHere.isEmpty && missingOnHub.isEmpty && typeDifferences.isEmpty
        }

        enum CodingKeys: String, CodingKey {
            case name, matches
            case onHub = "on_hub"
            case missingHere = "missing_here"
            case missingOnHub = "missing_on_hub"
            case localOnly = "local_only"
            case typeDifferences = "type_differences"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(matches, forKey: .matches)
            try container.encode(onHub, forKey: .onHub)
            try container.encode(missingHere, forKey: .missingHere)
            try container.encode(missingOnHub, forKey: .missingOnHub)
            try container.encode(localOnly, forKey: .localOnly)
            try container.encode(typeDifferences, forKey: .typeDifferences)
        }
    }

    /// Every tracked table, by name.
    public var tables: [Table]
    /// Tables the hub knows that this node does not track (`outpost track TABLE --from-hub`).
    public var untracked: [String]
    /// Whether this node adds the hub's columns by itself (`outpost schema auto-add`).
    public var autoAdd: Bool

    enum CodingKeys: String, CodingKey {
        case tables, untracked
        case autoAdd = "auto_add"
    }

    /// Compares the node's tracked tables (`schema` with its local columns) with `hub`.
    public init(node: [(schema: TableSchema, localColumns: [String])], hub: [String: TableDeclaration], autoAdd: Bool) {
        self.autoAdd = autoAdd
        var hubTables: [String: (name: String, declaration: TableDeclaration)] = [:]
        for (name, declaration) in hub {
            hubTables[name.lowercased(), default: (name, TableDeclaration(columns: [], primaryKey: []))].declaration
                .columns += declaration.columns
        }
        tables = node.sorted { $0.schema.name < $1.schema.name }.map { schema, localColumns in
            let declared = hubTables[schema.name.lowercased()]?.declaration
            var hubColumns: [String: TableDeclaration.Column] = [:]
            for column in declared?.columns ?? [] where hubColumns[column.name.lowercased()] == nil {
                hubColumns[column.name.lowercased()] = column
            }
            let local = Set(localColumns.map { $0.lowercased() })
            let here = Set(schema.columns.map { $0.lowercased() })
            var types: [TypeDifference] = []
            for column in schema.columns {
                guard let type = hubColumns[column.lowercased()]?.type else { continue }
                let mine = schema.declaredType(of: column)
                if Self.normalized(mine) != Self.normalized(type) {
                    types.append(TypeDifference(column: column, node: mine, hub: type))
                }
            }
            return Table(
                name: schema.name,
                onHub: declared != nil,
                missingHere: (declared?.columns ?? []).filter { !here.contains($0.name.lowercased()) },
                missingOnHub: declared == nil
                    ? []
                    : schema.columns.filter {
                        !local.contains($0.lowercased()) && hubColumns[$0.lowercased()] == nil
                    },
                localOnly: schema.columns.filter { local.contains($0.lowercased()) },
                typeDifferences: types
            )
        }
        let tracked = Set(node.map { $0.schema.name.lowercased() })
        untracked = hubTables.filter { !tracked.contains($0.key) }.map(\.value.name).sorted()
    }

    /// A type as SQLite reads it: case and spacing do not matter.
    private static func normalized(_ type: String) -> String {
        type.uppercased().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
