import GRDB
import OutpostCore
import OutpostStore

/// A tracked table as the engine needs it: its columns, which of them sync, and the tracked
/// tables it references, so that a parent row is pushed before the rows that point to it.
struct SyncedTable: Sendable {
    var schema: TableSchema
    var priority: Int
    /// Columns that travel to the hub: all but the table's local-only ones.
    var syncedColumns: [String]
    /// Foreign keys to other tracked tables: the referencing columns and the parent table.
    var parents: [(columns: [String], table: String)]
    /// Position in dependency order: a table comes after every table it references.
    var rank: Int

    var name: String { schema.name }
    /// Whether the table keeps the seed's local `sync_status` bookkeeping column.
    var hasSyncStatus: Bool { schema.columns.contains("sync_status") && !syncedColumns.contains("sync_status") }

    /// Every tracked table, by name, with ranks from its foreign keys.
    static func load(in db: Database) throws -> [String: SyncedTable] {
        var tables: [String: SyncedTable] = [:]
        for tracked in try Store.trackedTables(in: db) {
            guard let schema = try? TableSchema.require(tracked.name, in: db) else { continue }
            let local = Set(tracked.localColumns)
            let foreignKeys = try Row.fetchAll(
                db,
                sql:
                    "SELECT id, \"table\" AS parent, \"from\" AS column FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                arguments: [schema.name]
            )
            var parents: [Int: (columns: [String], table: String)] = [:]
            for key in foreignKeys {
                parents[key["id"], default: ([], key["parent"])].columns.append(key["column"])
            }
            tables[schema.name] = SyncedTable(
                schema: schema,
                priority: tracked.priority,
                syncedColumns: schema.columns.filter { !local.contains($0) },
                parents: parents.sorted { $0.key < $1.key }.map(\.value),
                rank: 0
            )
        }
        let names = Set(tables.keys)
        for name in tables.keys {
            tables[name]!.parents = tables[name]!.parents.compactMap { parent in
                names.first { $0.lowercased() == parent.table.lowercased() }.map { (parent.columns, $0) }
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

    /// The row's synced columns as a JSON object.
    func syncedValue(of row: JSONValue) -> JSONValue {
        guard case .object(let members) = row else { return row }
        let keep = Set(syncedColumns)
        return .object(members.filter { keep.contains($0.key) })
    }
}
