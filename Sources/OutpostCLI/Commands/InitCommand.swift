import ArgumentParser
import Foundation
import OutpostCore
import OutpostStore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a node: its home folder, its store and its node id.",
        discussion: """
            Safe to run again: an existing node keeps its id and data, and its schema is upgraded.

            Example:
              outpost init --home /var/lib/outpost
            """
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let home = node.homePath
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        } catch {
            throw OutpostError(
                .storage,
                "Cannot create the home folder \(home): \((error as NSError).localizedDescription)."
            )
        }
        let existed = FileManager.default.fileExists(atPath: node.storePath)
        let store = try Store(path: node.storePath, createIfMissing: true, logger: .cli)
        if output.json {
            Output.json(["home": .string(home), "node_id": .string(store.nodeID), "created": .bool(!existed)])
        } else {
            print(existed ? "Node already initialised at \(home)" : "Initialised node at \(home)")
            print("node id: \(store.nodeID)")
        }
    }
}
