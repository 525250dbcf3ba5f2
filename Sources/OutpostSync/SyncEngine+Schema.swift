import GRDB
import Logging
public import OutpostCore
import OutpostProtocol
public import OutpostStore

/// Schemas that follow the hub's: columns added from its declarations, tables adopted from them,
/// and the comparison `outpost schema diff` prints.
///
/// The engine asks for the declarations (`GET /v1/tables`) only when a pulled row carries a
/// column its tracked table lacks, or when a check is owed (auto-add just turned on, or the
/// last check could not reach the hub): a sync that brings no new column costs no request.
/// Until the column is added its values wait in the base rows (``SchemaGrowth``), so nothing is
/// lost whether auto-add is on or off.
extension SyncEngine {
    /// Whether any of `rows` carries a column its tracked table lacks (compared without case).
    static func carriesNewColumns(_ rows: [HubRow], tables: [String: SyncedTable]) -> Bool {
        var known: [String: (exact: Set<String>, lowered: Set<String>)] = [:]
        for row in rows {
            guard let table = tables[row.table], case .object(let members)? = row.data else { continue }
            let columns: (exact: Set<String>, lowered: Set<String>)
            if let seen = known[table.name] {
                columns = seen
            } else {
                columns = (Set(table.schema.columns), Set(table.schema.columns.map { $0.lowercased() }))
                known[table.name] = columns
            }
            for name in members.keys where !columns.exact.contains(name) {
                if !columns.lowered.contains(name.lowercased()) { return true }
            }
        }
        return false
    }

    /// Adds to tracked tables the columns the hub declares and they lack, when this node does
    /// that (``Store/addsHubColumns()``) and a pulled row carried such a column (`requested`) or a
    /// check is owed; then fills them from the base rows, in the same transaction, without
    /// capture (nothing is pushed for them).
    ///
    /// A hub that cannot be asked leaves the check owed for the next pull, and the pull that
    /// brought the rows still counts as done; a hub older than declarations (404) ends the check.
    ///
    /// - Returns: the columns added, as `table.column`.
    func addHubColumns(requested: Bool) async throws(SyncFailure) -> [String] {
        let (enabled, owed) = try await guarded {
            try await store.read { db in (try Store.addsHubColumns(in: db), try Store.columnCheckIsPending(in: db)) }
        }
        guard enabled, requested || owed else { return [] }
        let declarations: [String: TableDeclaration]
        do {
            declarations = try await client.tables().value
        } catch {
            let tooOld = error.code == .refused && error.status == 404
            logger.warning(
                "Could not fetch the hub's table declarations to add the columns it knows",
                metadata: ["sync.reason": "\(error)", "sync.retry": "\(!tooOld)"]
            )
            try await guarded { try await store.write { db in try Store.setColumnCheckPending(!tooOld, in: db) } }
            return []
        }
        let byName = declarations.reduce(into: [String: [TableDeclaration.Column]]()) { byName, entry in
            byName[entry.key.lowercased(), default: []] += entry.value.columns
        }
        let (added, filled) = try await guarded {
            try await store.writeApplyingRemote { db in
                var added: [String] = []
                for table in try SyncedTable.load(in: db).values.sorted(by: { $0.name < $1.name }) {
                    guard let columns = byName[table.name.lowercased()] else { continue }
                    added += try Store.addColumns(columns, to: table.name, in: db).map { "\(table.name).\($0)" }
                }
                var filled = 0
                if !added.isEmpty {
                    let tables = try SyncedTable.load(in: db)
                    filled = try SchemaGrowth.adopt(
                        try SchemaGrowth.changed(tables, in: db),
                        cursor: try SyncState.value(.cursor, in: db),
                        in: db
                    )
                }
                try Store.setColumnCheckPending(false, in: db)
                return (added, filled)
            }
        }
        if !added.isEmpty {
            logger.notice(
                "Added the hub's columns to tracked tables",
                metadata: ["sync.columns": "\(added.joined(separator: ", "))", "sync.rows": "\(filled)"]
            )
        }
        return added
    }

    /// How this node's tracked tables differ from the hub's declarations.
    public func schemaDiff() async throws(SyncFailure) -> SchemaDiff {
        let hub = try await client.tables().value
        return try await guarded {
            try await store.read { db in
                var node: [(schema: TableSchema, localColumns: [String])] = []
                for tracked in try Store.trackedTables(in: db) {
                    guard let schema = try? TableSchema.require(tracked.name, in: db) else { continue }
                    node.append((schema, tracked.localColumns))
                }
                return SchemaDiff(node: node, hub: hub, autoAdd: try Store.addsHubColumns(in: db))
            }
        }
    }

    /// Creates `table` from the hub's declaration of it (columns, declared types, primary key),
    /// tracks it and marks it to be filled from the hub at the next sync
    /// (``Store/createTable(_:from:priority:localColumns:)``).
    ///
    /// - Throws: ``OutpostError`` `.notFound` when the hub knows no such table (listing those it
    ///   knows), `.failedPrecondition` when the hub cannot be asked, and what
    ///   ``Store/createTable(_:from:priority:localColumns:)`` throws.
    public func adoptTable(_ table: String, priority: Int = 5, localColumns: [String] = []) async throws(OutpostError)
        -> TrackedTable
    {
        let declarations: [String: TableDeclaration]
        do {
            declarations = try await client.tables().value
        } catch {
            throw OutpostError(.failedPrecondition, error.description, cause: error)
        }
        guard let (name, declaration) = declarations.first(where: { $0.key.lowercased() == table.lowercased() })
        else {
            throw OutpostError(
                .notFound,
                "The hub knows no table '\(table)' in this node's tenant (it learns a table when a node pushes its "
                    + "rows). Tables it knows: "
                    + (declarations.isEmpty ? "(none)" : declarations.keys.sorted().joined(separator: ", ")) + ".",
                details: ["table": table]
            )
        }
        return try store.createTable(name, from: declaration, priority: priority, localColumns: localColumns)
    }
}
