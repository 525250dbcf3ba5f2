import GRDB
public import OutpostCore

extension Store {
    /// Adds a workflow, optionally owned by an agent; its insert is captured for sync.
    ///
    /// - Throws: ``OutpostError`` `.alreadyExists`, `.notFound` for an unknown agent,
    ///   `.invalidInput` for an empty name or status.
    public func addWorkflow(
        id: String? = nil,
        name: String,
        definition: JSONValue? = nil,
        status: String = "draft",
        agentID: String? = nil
    ) throws(OutpostError) -> Workflow {
        let id = try Self.validatedID(id)
        try Self.validateText(name, field: "name")
        try Self.validateText(status, field: "status", maximumLength: 100)
        do {
            return try transaction { db in
                try Self.requireAgentExists(agentID, in: db)
                try db.execute(
                    sql: "INSERT INTO workflows (id, name, definition, status, agent_id) VALUES (?, ?, ?, ?, ?)",
                    arguments: [id, name, definition?.encoded(), status, agentID]
                )
                return try Self.fetchWorkflow(id: id, in: db)!
            }
        } catch  where Self.isDuplicateKey(error) {
            throw OutpostError(.alreadyExists, "A workflow with id '\(id)' already exists; choose another id.")
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// The workflow with `id`, or `nil`.
    public func workflow(id: String) throws(OutpostError) -> Workflow? {
        try read { db in try Self.fetchWorkflow(id: id, in: db) }
    }

    /// The workflow with `id`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when there is none.
    public func requireWorkflow(id: String) throws(OutpostError) -> Workflow {
        guard let workflow = try workflow(id: id) else {
            throw OutpostError(.notFound, "No workflow with id '\(id)'.", remedy: .list(.workflows(agent: nil)))
        }
        return workflow
    }

    /// Workflows, most recently updated first; optionally only those of one agent or status.
    public func workflows(agentID: String? = nil, status: String? = nil) throws(OutpostError) -> [Workflow] {
        try read { db in
            try Self.rows(
                of: "workflows",
                where: [("agent_id", agentID), ("status", status)],
                orderBy: "updated_at DESC, id",
                in: db
            ).map { try Self.workflow(from: $0, in: db) }
        }
    }

    /// Changes a workflow and bumps its version; see ``updateAgent(id:_:expectedVersion:)``.
    @discardableResult
    public func updateWorkflow(id: String, _ changes: WorkflowChanges, expectedVersion: Int? = nil) throws(OutpostError)
        -> Workflow
    {
        guard !changes.isEmpty else {
            throw OutpostError(
                .invalidInput,
                "Nothing to update: give at least one of --name, --definition, --status, --agent."
            )
        }
        if let name = changes.name { try Self.validateText(name, field: "name") }
        if let status = changes.status { try Self.validateText(status, field: "status", maximumLength: 100) }
        var assignments: [Assignment] = []
        if let name = changes.name { assignments.append(Assignment(column: "name", value: name, json: .string(name))) }
        if let definition = changes.definition {
            assignments.append(Assignment(column: "definition", value: definition.encoded(), json: definition))
        }
        if let status = changes.status {
            assignments.append(Assignment(column: "status", value: status, json: .string(status)))
        }
        if let agentID = changes.agentID {
            assignments.append(Assignment(column: "agent_id", value: agentID, json: .string(agentID)))
        }
        let outcome = try write { db in
            try Self.requireAgentExists(changes.agentID, in: db)
            return try updateVersioned(
                table: "workflows",
                id: id,
                assignments: assignments,
                expectedVersion: expectedVersion,
                in: db
            )
        }
        try check(
            outcome,
            entity: "workflow",
            listing: .workflows(agent: nil),
            id: id,
            expectedVersion: expectedVersion
        )
        return try requireWorkflow(id: id)
    }

    /// Deletes a workflow; the delete is captured and becomes a tombstone on the hub.
    ///
    /// - Throws: ``OutpostError`` `.notFound`, or `.failedPrecondition` while executions refer to it.
    public func removeWorkflow(id: String) throws(OutpostError) {
        let deleted: Int
        do {
            deleted = try transaction { db in
                try db.execute(sql: "DELETE FROM workflows WHERE id = ?", arguments: [id])
                return db.changesCount
            }
        } catch  where Self.isForeignKeyViolation(error) {
            throw OutpostError(
                .failedPrecondition,
                "Workflow '\(id)' still has executions recorded, so it cannot be removed."
            )
        } catch {
            throw OutpostError(database: error, path: path)
        }
        guard deleted > 0 else {
            throw OutpostError(.notFound, "No workflow with id '\(id)'.", remedy: .list(.workflows(agent: nil)))
        }
    }

    private static func requireAgentExists(_ agentID: String?, in db: Database) throws {
        guard let agentID else { return }
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM agents WHERE id = ?", arguments: [agentID]) != nil else {
            throw OutpostError(.notFound, "No agent with id '\(agentID)'.", remedy: .list(.agents))
        }
    }

    static func fetchWorkflow(id: String, in db: Database) throws -> Workflow? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM workflows WHERE id = ?"), arguments: [id]).map {
            try workflow(from: $0, in: db)
        }
    }

    /// A workflow as read: its `sync_status` as the outbox says it is.
    static func workflow(from row: Row, in db: Database) throws -> Workflow {
        Workflow(
            id: row["id"],
            name: row["name"],
            definition: JSONValue.column(row["definition"]),
            status: row["status"] ?? "draft",
            agentID: row["agent_id"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"],
            lastExecution: row["last_execution"],
            executionCount: row["execution_count"] ?? 0,
            syncStatus: try Outbox(db).syncStatus(table: "workflows", key: row["id"], stored: row["sync_status"]),
            version: row["version"] ?? 1
        )
    }
}
