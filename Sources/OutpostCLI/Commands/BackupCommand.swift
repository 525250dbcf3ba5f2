import ArgumentParser
import Foundation
import OutpostCore
import OutpostSync

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write the whole node (store, files, workspace, remote, rules) to one file.",
        discussion: """
            The file is a tar archive: a snapshot of the store taken through SQLite's online \
            backup (consistent while `outpost run` keeps writing), the file chunks, the \
            workspace, the remote with the node's token, and the rules. It is readable by its \
            owner only, since it holds the token. A backup never overwrites a file.

            Restore it with `outpost restore --from FILE --home NEW_HOME`; the restored node \
            fetches every tracked table again at its next sync, so nothing pushed after the \
            backup is lost.

            Examples:
              outpost backup --to /var/backups/outpost/node-2026-12-06.tar
              outpost backup --to node.tar --json
            """
    )

    @OptionGroup var node: NodeOptions
    @Option(help: "The file to write; it must not exist.", completion: .file()) var to: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let report = try NodeBackup.create(home: node.nodeHome, to: to)
        if output.json {
            Output.json(
                [
                    "path": .string(report.path), "bytes": .integer(report.bytes), "node_id": .string(report.nodeID),
                    "taken_at": .string(report.takenAt), "members": .array(report.members.map(JSONValue.string)),
                    "warnings": .array(report.warnings.map(JSONValue.string)),
                ] as JSONValue
            )
        } else {
            print("Backed up node \(report.nodeID) to \(report.path) (\(report.bytes) bytes, taken \(report.takenAt)).")
            for warning in report.warnings { print("warning: \(warning)") }
        }
    }
}
