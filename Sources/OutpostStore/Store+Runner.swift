import GRDB
public import OutpostCore

extension Store {
    /// The latest finished runs of an agent's workflows on one node, newest first: what the
    /// runner reads to decide whether an agent keeps failing.
    public func recentExecutions(ofAgent agentID: String, nodeID: String, limit: Int) throws(OutpostError)
        -> [Execution]
    {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.* FROM executions e JOIN workflows w ON w.id = e.workflow_id
                    WHERE w.agent_id = ? AND e.node_id = ? AND e.completed_at IS NOT NULL
                    ORDER BY e.completed_at DESC, e.id DESC LIMIT ?
                    """,
                arguments: [agentID, nodeID, limit]
            ).map { try Self.execution(from: $0, in: db) }
        }
    }

    /// When the latest run of a workflow on a node started, if it ever ran there.
    public func lastStart(ofWorkflow workflowID: String, nodeID: String) throws(OutpostError) -> String? {
        try read { db in
            try String.fetchOne(
                db,
                sql: "SELECT max(started_at) FROM executions WHERE workflow_id = ? AND node_id = ?",
                arguments: [workflowID, nodeID]
            )
        }
    }

    /// Rows of `table` after `rowid`, in rowid order, each with its rowid: how an insert
    /// trigger finds new rows without a trigger of its own on the table.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown table, `.invalidInput` for a table
    ///   without rowids.
    public func rows(of table: String, afterRowID rowid: Int64, limit: Int) async throws(OutpostError)
        -> [(rowid: Int64, row: [String: JSONValue])]
    {
        try await read { db in
            let schema = try TableSchema.require(table, in: db)
            let name = quoteIdentifier(schema.name)
            return try Row.fetchAll(
                db,
                sql: "SELECT rowid AS outpost_rowid, * FROM \(name) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                arguments: [rowid, limit]
            ).map { row in
                var members = JSONValue(row).objectValue ?? [:]
                members["outpost_rowid"] = nil
                return (rowid: row["outpost_rowid"], row: members)
            }
        }
    }

    /// The largest rowid of `table` (0 when it is empty).
    public func lastRowID(of table: String) async throws(OutpostError) -> Int64 {
        try await read { db in
            let schema = try TableSchema.require(table, in: db)
            return try Int64.fetchOne(db, sql: "SELECT coalesce(max(rowid), 0) FROM \(quoteIdentifier(schema.name))")
                ?? 0
        }
    }

    /// Where a workflow's insert trigger has read its table up to: (table, last rowid).
    public func runnerCursor(workflowID: String) async throws(OutpostError) -> (table: String, rowid: Int64)? {
        try await read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT table_name, last_rowid FROM outpost_runner_cursors WHERE workflow_id = ?",
                arguments: [workflowID]
            ).map { (table: $0["table_name"], rowid: $0["last_rowid"]) }
        }
    }

    /// Records how far a workflow's insert trigger has read its table.
    public func setRunnerCursor(workflowID: String, table: String, rowid: Int64) async throws(OutpostError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO outpost_runner_cursors (workflow_id, table_name, last_rowid) VALUES (?, ?, ?)
                    ON CONFLICT (workflow_id) DO UPDATE SET table_name = excluded.table_name,
                        last_rowid = excluded.last_rowid
                    """,
                arguments: [workflowID, table, rowid]
            )
        }
    }
}
