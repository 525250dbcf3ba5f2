import Foundation
import GRDB
public import OutpostCore
import OutpostStore

/// `outpost workspace export`: the store's agents and workflows written to files.
extension Workspace {
    /// What an export or apply changed.
    public struct Report: Sendable, Equatable {
        /// Files written (export) or definitions added to the store (apply).
        public var added = 0
        /// Files rewritten (export) or definitions changed in the store (apply).
        public var updated = 0
        /// Files removed (export) or definitions deleted from the store (apply).
        public var removed = 0
        /// Definitions already the same on both sides.
        public var unchanged = 0

        public var json: JSONValue {
            [
                "added": .integer(Int64(added)), "updated": .integer(Int64(updated)),
                "removed": .integer(Int64(removed)), "unchanged": .integer(Int64(unchanged)),
            ]
        }
    }

    /// Writes every agent and workflow of the store to its file, as canonical JSON, and removes
    /// the files of definitions the store no longer has. Configs are the workspace's own and are
    /// left alone. Files whose content is already right are not touched.
    ///
    /// - Parameter person: recorded as `modified_by` of the changed items.
    /// - Throws: ``OutpostError`` `.invalidInput` naming an id that cannot be a file name (before
    ///   anything is written), `.failedPrecondition` while a merge waits for conflicts to be
    ///   resolved, `.storage` when a file cannot be written.
    @discardableResult
    public func export(by person: String) throws(OutpostError) -> Report {
        try requireNoMerge(doing: "export")
        try requireRealFolders()
        let definitions =
            try store.agents().map(Definition.init(agent:)) + store.workflows().map(Definition.init(workflow:))
        for definition in definitions where !ItemKind.isValidName(definition.name) {
            throw OutpostError(
                .invalidInput,
                "The \(definition.kind.rawValue) id '\(definition.name)' cannot be a file name (letters, digits, '.', "
                    + "'_' and '-', not starting with '.'); nothing was exported. Give it another id.",
                details: ["id": definition.name]
            )
        }
        var report = Report()
        var written: [String: String?] = [:]
        let wanted = Set(definitions.map(\.path))
        for definition in definitions {
            let text = definition.text
            let full = directory + "/" + definition.path
            if let existing = FileSystem.read(full) {
                if existing.elementsEqual(text.utf8) {
                    report.unchanged += 1
                    written[definition.path] = text
                    continue
                }
                report.updated += 1
                try FileSystem.write(text, to: full)
            } else {
                report.added += 1
                try FileSystem.create(text, at: full)
            }
            written[definition.path] = text
        }
        for path in listFiles() where !wanted.contains(path) {
            guard case let (kind, _)? = ItemKind.parse(path: path), kind != .config else { continue }
            try FileSystem.remove(directory + "/" + path)
            written[path] = .some(nil)
            report.removed += 1
        }
        try store.write { db in
            let known = try Self.indexedContents(in: db)
            for (path, content) in written {
                try Self.record(path, content: content, by: person, known: known[path], in: db)
            }
        }
        return report
    }

    /// Refuses `operation` while git holds unmerged files: they are the person's to resolve.
    func requireNoMerge(doing operation: String) throws(OutpostError) {
        let unmerged = try unmergedPaths()
        guard unmerged.isEmpty else {
            throw OutpostError(
                .failedPrecondition,
                "Cannot \(operation) while a merge leaves \(unmerged.count) file(s) conflicted "
                    + "(\(unmerged.prefix(3).joined(separator: ", "))).",
                remedy: .finishWorkspaceMerge(thenSync: false)
            )
        }
    }
}
