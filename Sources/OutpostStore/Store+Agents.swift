import GRDB
public import OutpostCore

extension Store {
    /// Adds an agent; its insert is captured for sync.
    ///
    /// ```swift
    /// let agent = try store.addAgent(name: "Counter", type: "vision", config: ["fps": 5])
    /// ```
    ///
    /// - Parameters:
    ///   - id: the agent's id; defaults to a new UUIDv7.
    ///   - nodeID: the node that runs its scheduled and triggered workflows; none by default.
    /// - Throws: ``OutpostError`` `.alreadyExists` when the id is taken, `.invalidInput` for an
    ///   empty or over-long name, type or status.
    public func addAgent(
        id: String? = nil,
        name: String,
        type: String,
        status: String = "inactive",
        config: JSONValue? = nil,
        nodeID: String? = nil
    ) throws(OutpostError) -> Agent {
        let id = try Self.validatedID(id)
        try Self.validateText(name, field: "name")
        try Self.validateText(type, field: "type", maximumLength: 100)
        try Self.validateText(status, field: "status", maximumLength: 100)
        if let nodeID { try Self.validateText(nodeID, field: "node", maximumLength: 200) }
        do {
            return try transaction { db in
                try db.execute(
                    sql: "INSERT INTO agents (id, name, type, status, config, node_id) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [id, name, type, status, config?.encoded(), nodeID]
                )
                return try Self.fetchAgent(id: id, in: db)!
            }
        } catch  where Self.isDuplicateKey(error) {
            throw OutpostError(.alreadyExists, "An agent with id '\(id)' already exists; choose another id.")
        } catch {
            throw OutpostError(database: error, path: path)
        }
    }

    /// The agent with `id`, or `nil`.
    public func agent(id: String) throws(OutpostError) -> Agent? {
        try read { db in try Self.fetchAgent(id: id, in: db) }
    }

    /// The agent with `id`.
    ///
    /// - Throws: ``OutpostError`` `.notFound` when there is none.
    public func requireAgent(id: String) throws(OutpostError) -> Agent {
        guard let agent = try agent(id: id) else {
            throw OutpostError(.notFound, "No agent with id '\(id)'.", remedy: .list(.agents))
        }
        return agent
    }

    /// Agents, most recently updated first.
    ///
    /// - Parameters:
    ///   - status: only agents with this status.
    ///   - sortedBy: a column of `agents` to sort by instead (checked against the schema).
    public func agents(status: String? = nil, sortedBy column: String? = nil) throws(OutpostError) -> [Agent] {
        try read { db in
            let order = try column.map { try TableSchema.require("agents", in: db).requireColumn($0) }
            var sql = "SELECT * FROM agents"
            if status != nil { sql += " WHERE status = ?" }
            sql += order.map { " ORDER BY \(quoteIdentifier($0)), id" } ?? " ORDER BY updated_at DESC, id"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments([status].compactMap { $0 }))
                .map { try Self.agent(from: $0, in: db) }
        }
    }

    /// Changes an agent and bumps its version, in the manner of the seed's `update_agent`.
    ///
    /// With `expectedVersion`, the update happens only if the agent is still at that version;
    /// otherwise a conflict is recorded in `conflict_resolution` and the agent is left alone.
    ///
    /// - Throws: ``OutpostError`` `.notFound`, `.versionConflict` (details carry `conflict_id`),
    ///   or `.invalidInput` when `changes` is empty or invalid.
    @discardableResult
    public func updateAgent(id: String, _ changes: AgentChanges, expectedVersion: Int? = nil) throws(OutpostError)
        -> Agent
    {
        guard !changes.isEmpty else {
            throw OutpostError(
                .invalidInput,
                "Nothing to update: give at least one of --name, --type, --status, --config, --node."
            )
        }
        if let name = changes.name { try Self.validateText(name, field: "name") }
        if let type = changes.type { try Self.validateText(type, field: "type", maximumLength: 100) }
        if let status = changes.status { try Self.validateText(status, field: "status", maximumLength: 100) }
        var assignments: [Assignment] = []
        if let name = changes.name { assignments.append(Assignment(column: "name", value: name, json: .string(name))) }
        if let type = changes.type { assignments.append(Assignment(column: "type", value: type, json: .string(type))) }
        if let status = changes.status {
            assignments.append(Assignment(column: "status", value: status, json: .string(status)))
        }
        if let config = changes.config {
            assignments.append(Assignment(column: "config", value: config.encoded(), json: config))
        }
        // An empty node or reason clears it.
        func optionalText(_ column: StaticString, _ value: String?, field: String) throws(OutpostError) {
            guard let value else { return }
            if !value.isEmpty { try Self.validateText(value, field: field, maximumLength: 2_000) }
            assignments.append(
                Assignment(
                    column: column,
                    value: value.isEmpty ? nil : value,
                    json: value.isEmpty ? .null : .string(value)
                )
            )
        }
        try optionalText("node_id", changes.nodeID, field: "node")
        try optionalText("status_reason", changes.statusReason, field: "status reason")
        try optionalText("last_active", changes.lastActive, field: "last active time")
        let outcome = try write { db in
            try updateVersioned(
                table: "agents",
                id: id,
                assignments: assignments,
                expectedVersion: expectedVersion,
                in: db
            )
        }
        try check(outcome, entity: "agent", listing: .agents, id: id, expectedVersion: expectedVersion)
        return try requireAgent(id: id)
    }

    /// Deletes an agent; the delete is captured and becomes a tombstone on the hub.
    ///
    /// - Throws: ``OutpostError`` `.notFound`, or `.failedPrecondition` while workflows use it.
    public func removeAgent(id: String) throws(OutpostError) {
        let deleted: Int
        do {
            deleted = try transaction { db in
                try db.execute(sql: "DELETE FROM agents WHERE id = ?", arguments: [id])
                return db.changesCount
            }
        } catch  where Self.isForeignKeyViolation(error) {
            throw OutpostError(
                .failedPrecondition,
                "Agent '\(id)' still has workflows; remove or reassign them first.",
                remedy: .list(.workflows(agent: id))
            )
        } catch {
            throw OutpostError(database: error, path: path)
        }
        guard deleted > 0 else {
            throw OutpostError(.notFound, "No agent with id '\(id)'.", remedy: .list(.agents))
        }
    }

    static func fetchAgent(id: String, in db: Database) throws -> Agent? {
        try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE id = ?", arguments: [id]).map {
            try agent(from: $0, in: db)
        }
    }

    /// An agent as read: its `sync_status` as the outbox says it is (``Outbox/syncStatus(table:key:stored:)``).
    static func agent(from row: Row, in db: Database) throws -> Agent {
        Agent(
            id: row["id"],
            name: row["name"],
            type: row["type"],
            status: row["status"] ?? "inactive",
            config: JSONValue.column(row["config"]),
            createdAt: row["created_at"],
            updatedAt: row["updated_at"],
            lastSync: row["last_sync"],
            nodeID: row["node_id"],
            statusReason: row["status_reason"],
            lastActive: row["last_active"],
            syncStatus: try Outbox(db).syncStatus(table: "agents", key: row["id"], stored: row["sync_status"]),
            version: row["version"] ?? 1
        )
    }
}
