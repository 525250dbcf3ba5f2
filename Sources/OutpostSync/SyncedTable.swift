import GRDB
package import OutpostCore
package import OutpostProtocol
package import OutpostStore

/// A tracked table as the engine needs it: its columns, which of them sync, and the tracked
/// tables it references, so that a parent row is pushed before the rows that point to it.
package struct SyncedTable: Sendable {
    var schema: TableSchema
    var priority: Int
    /// Columns that travel to the hub: all but the table's local-only ones.
    var syncedColumns: [String]
    /// Foreign keys to other tracked tables: the referencing columns, in the order of the parent's
    /// primary key (so their values make the parent's record id), and the parent table.
    var parents: [(columns: [String], table: String)]
    /// Position in dependency order: a table comes after every table it references.
    var rank: Int

    var name: String { schema.name }
    /// The priority its changes are queued at, by the capture triggers' rule.
    var capturePriority: CapturePriority { CapturePriority(schema: schema, priority: priority) }
    /// Whether the table keeps the seed's local `sync_status` bookkeeping column.
    var hasSyncStatus: Bool { schema.columns.contains("sync_status") && !syncedColumns.contains("sync_status") }

    /// The table as a push declares it: its synced columns with their declared types, and its
    /// key. `nil` when a type is not one the hub accepts (``TableDeclaration/isPlainType(_:)``):
    /// the hub then learns the columns from `schemas` alone, and the push still goes.
    var declaration: TableDeclaration? {
        var columns: [TableDeclaration.Column] = []
        for column in syncedColumns {
            let type = schema.declaredType(of: column)
            guard TableDeclaration.isPlainType(type) else { return nil }
            columns.append(TableDeclaration.Column(name: column, type: type))
        }
        return TableDeclaration(columns: columns, primaryKey: schema.primaryKey)
    }

    /// Every tracked table, by name, with ranks from its foreign keys.
    static func load(in db: Database) throws -> [String: SyncedTable] {
        var tables: [String: SyncedTable] = [:]
        var foreignKeysByTable: [String: [ForeignKey]] = [:]
        for tracked in try Store.trackedTables(in: db) {
            guard let schema = try? TableSchema.require(tracked.name, in: db) else { continue }
            let local = Set(tracked.localColumns)
            let foreignKeys = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, "table" AS parent, "from" AS column, "to" AS target
                    FROM pragma_foreign_key_list(?) ORDER BY id, seq
                    """,
                arguments: [schema.name]
            )
            var references: [Int: ForeignKey] = [:]
            for key in foreignKeys {
                let pair: (String, String?) = (key["column"], key["target"])
                references[key["id"], default: ForeignKey(parent: key["parent"])].pairs.append(pair)
            }
            foreignKeysByTable[schema.name] = references.sorted { $0.key < $1.key }.map(\.value)
            tables[schema.name] = SyncedTable(
                schema: schema,
                priority: tracked.priority,
                syncedColumns: schema.columns.filter { !local.contains($0) },
                parents: [],
                rank: 0
            )
        }
        for (name, foreignKeys) in foreignKeysByTable {
            tables[name]!.parents = foreignKeys.compactMap { foreignKey in
                let parentName = foreignKey.parent.lowercased()
                guard let parent = tables.values.first(where: { $0.name.lowercased() == parentName }) else {
                    return nil
                }
                return foreignKey.columnsInKeyOrder(of: parent.schema).map { ($0, parent.name) }
            }
        }
        // Longest chain of references above each table; cycles are cut where they close.
        func depth(_ name: String, _ visiting: Set<String>) -> Int {
            guard let table = tables[name], !visiting.contains(name) else { return 0 }
            return table.parents.map { depth($0.table, visiting.union([name])) + 1 }.max() ?? 0
        }
        for name in tables.keys { tables[name]!.rank = depth(name, []) }
        return tables
    }

    /// A row as the hub or the base holds it, with `null` for each synced column it lacks.
    ///
    /// A column that did not exist (on any node that wrote the row) when the hub last wrote it
    /// holds nothing there. Compared as absent, a local NULL would look like a change competing
    /// with another node's value in a merge, and a hub row lacking the column would look
    /// different from the same local row holding NULL; both lost values.
    package func completed(_ row: JSONValue?) -> JSONValue? {
        guard case .object(var members)? = row else { return row }
        for column in syncedColumns where members[column] == nil { members[column] = .null }
        return .object(members)
    }

    /// A pulled row's synced columns, completed (``completed(_:)``); `nil` for a tombstone.
    package func value(of remote: HubRow) -> JSONValue? {
        remote.deleted ? nil : completed(remote.data.map(syncedValue(of:)))
    }

    /// The row's synced columns as a JSON object.
    func syncedValue(of row: JSONValue) -> JSONValue {
        guard case .object(let members) = row else { return row }
        let keep = Set(syncedColumns)
        return .object(members.filter { keep.contains($0.key) })
    }
}

/// One foreign key as SQLite lists it: (child column, parent column) pairs; the parent column
/// is `nil` when the key references the parent's primary key implicitly.
extension SyncedTable {
    /// A table known only by its columns, as a site hub's relay knows its tenant's tables: what
    /// ``Reconciler/decide(_:remoteValue:base:local:table:)`` needs to merge a row of it.
    package init(relayed name: String, columns: [String], primaryKey: [String], priority: Int = 5) {
        self.init(
            schema: TableSchema(name: name, columns: columns, primaryKey: primaryKey),
            priority: priority,
            syncedColumns: columns,
            parents: [],
            rank: 0
        )
    }
}

private struct ForeignKey {
    var parent: String
    var pairs: [(column: String, target: String?)] = []

    /// The child columns ordered as the parent's primary key, or `nil` when the key references
    /// other parent columns (a unique column, say): its values do not name a parent record then.
    func columnsInKeyOrder(of parent: TableSchema) -> [String]? {
        let key = parent.primaryKey.map { $0.lowercased() }
        guard key.count == pairs.count else { return nil }
        if pairs.allSatisfy({ $0.target == nil }) { return pairs.map(\.column) }
        var ordered: [String?] = Array(repeating: nil, count: key.count)
        for pair in pairs {
            guard let target = pair.target?.lowercased(), let index = key.firstIndex(of: target) else { return nil }
            ordered[index] = pair.column
        }
        return ordered.contains(nil) ? nil : ordered.compactMap { $0 }
    }
}
