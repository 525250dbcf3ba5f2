import GRDB
public import OutpostCore

extension Store {
    /// Records an execution of a workflow; it syncs like any row.
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown workflow, `.alreadyExists`.
    public func recordExecution(_ execution: Execution) throws(OutpostError) {
        try Self.validateText(execution.id, field: "id", maximumLength: 200)
        do {
            try transaction { db in try Self.insert(execution, in: db) }
        } catch  where Self.isDuplicateKey(error) {
            throw OutpostError(.alreadyExists, "An execution with id '\(execution.id)' already exists.")
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// Writes a recorded execution's progress: its status, outputs, times and step results
    /// (its id, workflow and input stay as recorded). Each call is one transaction, so a crash
    /// leaves the run as it was after its last finished step.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when no execution has that id.
    public func updateExecution(_ execution: Execution) throws(OutpostError) {
        let changed = try write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE executions SET status = ?, output_data = ?, error_message = ?, started_at = ?,
                        completed_at = ?, duration_ms = ?, resource_usage = ?, node_id = ?, step_results = ?
                    WHERE id = ?
                    """
            ).execute(
                arguments: [
                    execution.status, execution.outputData?.encoded(), execution.errorMessage, execution.startedAt,
                    execution.completedAt, execution.durationMilliseconds, execution.resourceUsage?.encoded(),
                    execution.nodeID, execution.stepResults?.encoded(), execution.id,
                ]
            )
            return db.changesCount
        }
        guard changed > 0 else {
            throw OutpostError(.notFound, "No execution with id '\(execution.id)'.", remedy: .list(.executions))
        }
    }

    /// Writes a run's row whether or not it is there yet (an insert, or an update of what a run
    /// changes as it goes: status, output, error, end, duration, usage, step results): the runner
    /// writes a run's start beside its first step, so its end may come first. Its id, workflow,
    /// input, start time and node are written once, by whichever write comes first: an update
    /// leaves them out, so it rewrites no index page they are in (a run's end costs a page less).
    ///
    /// - Throws: ``OutpostError`` `.notFound` for an unknown workflow.
    public func saveExecution(_ execution: Execution) throws(OutpostError) {
        try write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO executions (id, workflow_id, status, input_data, output_data, error_message,
                        started_at, completed_at, duration_ms, resource_usage, node_id, step_results)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET status = excluded.status, output_data = excluded.output_data,
                        error_message = excluded.error_message, completed_at = excluded.completed_at,
                        duration_ms = excluded.duration_ms, resource_usage = excluded.resource_usage,
                        step_results = excluded.step_results
                    """
            ).execute(
                arguments: [
                    execution.id, execution.workflowID, execution.status, execution.inputData?.encoded(),
                    execution.outputData?.encoded(), execution.errorMessage, execution.startedAt,
                    execution.completedAt, execution.durationMilliseconds, execution.resourceUsage?.encoded(),
                    execution.nodeID, execution.stepResults?.encoded(),
                ]
            )
        }
    }

    /// ``recordExecution(_:)`` for async callers (the runner): the write runs on GRDB's writer
    /// queue while the caller waits suspended.
    public func recordExecution(_ execution: Execution) async throws(OutpostError) {
        try Self.validateText(execution.id, field: "id", maximumLength: 200)
        do {
            try await transaction { db in try Self.insert(execution, in: db) }
        } catch  where Self.isDuplicateKey(error) {
            throw OutpostError(.alreadyExists, "An execution with id '\(execution.id)' already exists.")
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// What a run of the workflow needs (see ``RunnableWorkflow``).
    ///
    /// Read on the writer's connection, not a reader's: a run starts just after the last run
    /// wrote, and a reader that sees another connection's commit drops its whole page cache
    /// and reads every page again (~95 µs a run against ~30 µs on the writer, whose cache
    /// stays current). The price: a run's start waits for a write in progress.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when there is no such workflow.
    public func runnableWorkflow(id: String) throws(OutpostError) -> RunnableWorkflow {
        do {
            return try pool.writeWithoutTransaction { db in try Self.runnableWorkflow(id: id, in: db) }
        } catch let error as OutpostError {
            throw error
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    private static func runnableWorkflow(id: String, in db: Database) throws -> RunnableWorkflow {
        let statement = try db.cachedStatement(
            sql: """
                SELECT w.definition, w.agent_id, a.config FROM workflows w
                LEFT JOIN agents a ON a.id = w.agent_id WHERE w.id = ?
                """
        )
        guard let row = try Row.fetchOne(statement, arguments: [id]) else {
            throw OutpostError(.notFound, "No workflow with id '\(id)'.", remedy: .list(.workflows(agent: nil)))
        }
        return RunnableWorkflow(
            id: id,
            definitionText: row[0],
            agentID: row[1],
            agentConfig: JSONValue.column(row[2])
        )
    }

    /// Executions, newest first; optionally of one workflow, with one status, or run by one node.
    public func executions(
        workflowID: String? = nil,
        status: String? = nil,
        nodeID: String? = nil
    ) throws(OutpostError) -> [Execution] {
        try read { db in
            try Self.rows(
                of: "executions",
                where: [("workflow_id", workflowID), ("status", status), ("node_id", nodeID)],
                orderBy: "coalesce(started_at, '') DESC, id DESC",
                in: db
            ).map { try Self.execution(from: $0, in: db) }
        }
    }

    /// The execution with `id`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when there is none.
    public func requireExecution(id: String) throws(OutpostError) -> Execution {
        let found = try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM executions WHERE id = ?", arguments: [id]).map {
                try Self.execution(from: $0, in: db)
            }
        }
        guard let found else {
            throw OutpostError(.notFound, "No execution with id '\(id)'.", remedy: .list(.executions))
        }
        return found
    }

    /// Inserts a run, checking that its workflow exists.
    private static func insert(_ execution: Execution, in db: Database) throws {
        guard
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT 1 FROM workflows WHERE id = ?"),
                arguments: [execution.workflowID]
            ) != nil
        else {
            throw OutpostError(
                .notFound,
                "No workflow with id '\(execution.workflowID)'.",
                remedy: .list(.workflows(agent: nil))
            )
        }
        // Cached, like the update: preparing a statement on a table with triggers compiles the
        // triggers too, which costs more than the write itself (the runner writes per step).
        try db.cachedStatement(
            sql: """
                INSERT INTO executions (id, workflow_id, status, input_data, output_data, error_message,
                    started_at, completed_at, duration_ms, resource_usage, node_id, step_results)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                execution.id, execution.workflowID, execution.status, execution.inputData?.encoded(),
                execution.outputData?.encoded(), execution.errorMessage, execution.startedAt,
                execution.completedAt, execution.durationMilliseconds, execution.resourceUsage?.encoded(),
                execution.nodeID, execution.stepResults?.encoded(),
            ]
        )
    }

    /// An execution as read: its `sync_status` as the outbox says it is.
    static func execution(from row: Row, in db: Database) throws -> Execution {
        Execution(
            id: row["id"],
            workflowID: row["workflow_id"],
            status: row["status"] ?? "queued",
            inputData: JSONValue.column(row["input_data"]),
            outputData: JSONValue.column(row["output_data"]),
            errorMessage: row["error_message"],
            startedAt: row["started_at"],
            completedAt: row["completed_at"],
            durationMilliseconds: row["duration_ms"],
            resourceUsage: JSONValue.column(row["resource_usage"]),
            nodeID: row["node_id"],
            stepResults: JSONValue.column(row["step_results"]),
            syncStatus: try Outbox(db).syncStatus(table: "executions", key: row["id"], stored: row["sync_status"])
        )
    }
}
