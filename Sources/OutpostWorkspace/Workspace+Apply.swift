import Foundation
import GRDB
public import OutpostCore
import OutpostRunner
import OutpostStore

/// `outpost workspace apply`: the files loaded into the store, all or nothing.
extension Workspace {
    /// Checks every definition file, then loads them into the store in one transaction: new
    /// definitions are inserted, changed ones updated (their version bumped), and definitions
    /// whose file was removed are deleted. The writes are captured and sync like any other.
    /// Configs are checked and indexed.
    ///
    /// A definition is deleted only when the index knows its file: an agent added to the store
    /// and never exported is not in the workspace yet, so its missing file means nothing.
    ///
    /// - Throws: ``OutpostError`` and the store is unchanged: `.invalidJSON` or `.invalidInput`
    ///   naming the file, its line and the reason; `.failedPrecondition` while a merge waits or
    ///   when a removed agent still has workflows.
    @discardableResult
    public func apply(by person: String) throws(OutpostError) -> Report {
        try requireNoMerge(doing: "apply")
        try requireRealFolders()
        let files = scanFiles()
        var definitions: [Definition] = []
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            definitions.append(try Definition(path: path, bytes: bytes))
        }
        let agents = definitions.filter { $0.kind == .agent }
        let workflows = definitions.filter { $0.kind == .workflow }
        for workflow in workflows {
            guard let definition = workflow.value["definition"], definition != .null else { continue }
            do {
                _ = try WorkflowDefinition(parsing: definition)
            } catch {
                let line = Definition.line(of: "definition", in: files[workflow.path] ?? [])
                throw OutpostError(
                    .invalidInput,
                    "\(workflow.path):\(line): \(error.message) Nothing was applied.",
                    details: ["path": workflow.path, "line": "\(line)", "field": error.details["field"] ?? ""]
                )
            }
        }
        return try store.write { db in
            var report = Report()
            let known = try Self.indexedContents(in: db)
            for agent in agents {
                try Self.upsert(
                    agent,
                    table: "agents",
                    columns: ["name", "type", "status", "config"],
                    into: db,
                    &report
                )
            }
            for workflow in workflows {
                if let agentID = workflow.value["agent_id"]?.stringValue,
                    try Int.fetchOne(db, sql: "SELECT 1 FROM agents WHERE id = ?", arguments: [agentID]) == nil
                {
                    let line = Definition.line(of: "agent_id", in: files[workflow.path] ?? [])
                    throw OutpostError(
                        .invalidInput,
                        "\(workflow.path):\(line): agent_id '\(agentID)' names no agent in the store or in agents/; "
                            + "nothing was applied.",
                        details: ["path": workflow.path, "line": "\(line)"]
                    )
                }
                try Self.upsert(
                    workflow,
                    table: "workflows",
                    columns: ["name", "status", "agent_id", "definition"],
                    into: db,
                    &report
                )
            }
            for kind in [ItemKind.workflow, .agent] {
                for (path, _) in known where files[path] == nil {
                    guard case let (itemKind, id)? = ItemKind.parse(path: path), itemKind == kind else { continue }
                    try Self.delete(id: id, kind: kind, path: path, in: db, &report)
                }
            }
            for (path, bytes) in files {
                try Self.record(
                    path,
                    content: String(decoding: bytes, as: UTF8.self),
                    by: person,
                    known: known[path],
                    in: db
                )
            }
            for (path, content) in known where content != nil && files[path] == nil {
                try Self.record(path, content: nil, by: person, known: content, in: db)
            }
            return report
        }
    }

    /// Inserts the definition, or updates the columns that differ (bumping the version).
    private static func upsert(
        _ definition: Definition,
        table: StaticString,
        columns: [String],
        into db: Database,
        _ report: inout Report
    ) throws {
        // A file without a status gets the table's default, as an insert without one would.
        let defaultStatus = "\(table)" == "agents" ? "inactive" : "draft"
        let values: [DatabaseValue] = columns.map { column in
            switch definition.value[column] {
            case nil, .null?: column == "status" ? defaultStatus.databaseValue : .null
            case .string(let text)?: text.databaseValue
            case let other?: other.encoded().databaseValue
            }
        }
        let tableName = "\(table)"
        guard
            let current = try Row.fetchOne(
                db,
                sql: "SELECT * FROM \(tableName) WHERE id = ?",
                arguments: [definition.name]
            )
        else {
            let present = columns.indices.filter { values[$0] != .null }
            let names = ["id"] + present.map { columns[$0] }
            try db.execute(
                sql:
                    "INSERT INTO \(tableName) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))",
                arguments: StatementArguments([definition.name.databaseValue] + present.map { values[$0] })
            )
            report.added += 1
            return
        }
        let changed = columns.indices.filter { index in
            let stored: DatabaseValue = current[columns[index]]
            if stored == values[index] { return false }
            // JSON columns compare by value: a config written by hand with other spacing is the same.
            if let storedText = String.fromDatabaseValue(stored), let newText = String.fromDatabaseValue(values[index]),
                columns[index] == "config" || columns[index] == "definition"
            {
                return (try? JSONValue(parsing: storedText)) != (try? JSONValue(parsing: newText))
            }
            return true
        }
        guard !changed.isEmpty else {
            report.unchanged += 1
            return
        }
        let assignments = changed.map { "\(columns[$0]) = ?" } + ["version = version + 1", "sync_status = 'pending'"]
        try db.execute(
            sql: "UPDATE \(tableName) SET \(assignments.joined(separator: ", ")) WHERE id = ?",
            arguments: StatementArguments(changed.map { values[$0] } + [definition.name.databaseValue])
        )
        report.updated += 1
    }

    private static func delete(id: String, kind: ItemKind, path: String, in db: Database, _ report: inout Report) throws
    {
        do {
            try db.execute(sql: "DELETE FROM \(kind == .agent ? "agents" : "workflows") WHERE id = ?", arguments: [id])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw OutpostError(
                .failedPrecondition,
                "\(path) was removed, but the store's \(kind == .agent ? "workflows still use agent" : "executions still refer to workflow") "
                    + "'\(id)'; nothing was applied. Remove or reassign those first, or restore the file.",
                details: ["path": path, "line": "1"]
            )
        }
        if db.changesCount > 0 { report.removed += 1 }
    }
}
