import Foundation
import GRDB
import OutpostCore
import OutpostStore
import OutpostWorkspace

/// `outpost bench workspace`: exporting and committing N definitions with Outpost, against
/// `git add -A && git commit` of the same files in a fresh repository, in the same run.
///
/// The definitions (agents with a small nested config, as a line camera has) are inserted into
/// a fresh store before timing. Outpost's time covers reading the store, writing the canonical
/// files, indexing them and committing; git's covers staging and committing files already on
/// disk, which is the floor Outpost's commit stands on.
package struct WorkspaceBenchmark {
    let definitions: Int
    /// The `outpost` executable the workspace names as its git merge driver.
    let executablePath: String

    package init(definitions: Int, executablePath: String) {
        self.definitions = definitions
        self.executablePath = executablePath
    }

    package struct Result: Encodable {
        var machine: String
        var gitVersion: String
        var definitions: Int
        var exportSeconds: Double
        var outpostSeconds: Double
        var gitSeconds: Double
        var ratio: Double
        var target: Double

        enum CodingKeys: String, CodingKey {
            case machine, definitions, ratio, target
            case gitVersion = "git_version"
            case exportSeconds = "export_seconds"
            case outpostSeconds = "outpost_seconds"
            case gitSeconds = "git_seconds"
        }

        package var report: String {
            """
            outpost export + commit  \(format(outpostSeconds)) s  (export \(format(exportSeconds)) s)
            git add -A && git commit \(format(gitSeconds)) s
            ratio \(String(format: "%.2f", ratio))  (Outpost ÷ plain git time; target ≤ \(String(format: "%.1f", target)): \(ratio <= target ? "met" : "NOT met"))
            """
        }

        private func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
    }

    package func run(progress: (String) -> Void) throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("store.sqlite").path, createIfMissing: true)
        var ids = UUIDv7()
        try store.write { db in
            let statement = try db.makeStatement(
                sql: "INSERT INTO agents (id, name, type, status, config) VALUES (?, ?, 'vision', 'active', ?)"
            )
            for index in 0..<definitions {
                let config: JSONValue = [
                    "fps": .integer(Int64(index % 30 + 1)), "zoom": 1.5, "site": .string("line-\(index % 40)"),
                    "thresholds": ["low": 0.2, "high": 0.9],
                ]
                try statement.execute(arguments: [ids.next(), "Camera \(index)", config.encoded()])
            }
        }
        let git = try Git(directory: folder.path)
        let gitVersion = try git.run(["--version"]).text
        progress("machine: \(MachineDescription.current); \(gitVersion)")
        progress("definitions: \(definitions) agents")

        let (workspace, _) = try Workspace.initialize(
            store: store,
            directory: folder.appendingPathComponent("workspace").path,
            remote: nil,
            mergeDriver: [executablePath, "workspace", "merge-driver", "--home", folder.path]
        )
        let start = ContinuousClock.now
        try workspace.export(by: "bench")
        let exported = ContinuousClock.now
        guard try workspace.commit(message: "\(definitions) definitions") != nil else {
            throw OutpostError(.failedPrecondition, "The benchmark's commit found nothing to commit.")
        }
        let outpost = ContinuousClock.now - start
        progress("outpost: \(seconds(outpost)) s")

        let plain = folder.appendingPathComponent("plain").path
        for kind in ItemKind.allCases {
            try FileManager.default.createDirectory(
                atPath: plain + "/" + kind.folder,
                withIntermediateDirectories: true
            )
        }
        for agent in try store.agents() {
            let definition = Definition(agent: agent)
            try Data(definition.text.utf8).write(to: URL(fileURLWithPath: plain + "/" + definition.path))
        }
        let baseline = try Git(directory: plain)
        try baseline.run(["init", "-q"])
        let gitStart = ContinuousClock.now
        try baseline.run(["add", "-A"])
        try baseline.run(["commit", "-q", "-m", "\(definitions) definitions"])
        let gitTime = ContinuousClock.now - gitStart
        progress("git: \(seconds(gitTime)) s")
        return Result(
            machine: MachineDescription.current,
            gitVersion: gitVersion,
            definitions: definitions,
            exportSeconds: seconds(exported - start),
            outpostSeconds: seconds(outpost),
            gitSeconds: seconds(gitTime),
            ratio: seconds(outpost) / seconds(gitTime),
            target: 1.5
        )
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
