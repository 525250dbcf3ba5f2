import ArgumentParser
import Foundation
import OutpostBench
import OutpostCore

extension BenchCommand {
    struct WorkspaceBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workspace",
            abstract: "Export and commit N definitions with Outpost vs `git add -A && git commit` of the same files.",
            discussion: """
                In a temporary folder: N agents in a fresh store, exported to a fresh workspace and \
                committed with Outpost (timed together), then the same files staged and committed by \
                plain git in a fresh repository. Prints both times and the ratio (target ≤ 1.5).

                Example:
                  outpost bench workspace
                  outpost bench workspace --definitions 2000 --json
                """
        )

        @Option(help: "How many definitions.") var definitions = 10_000
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (10...1_000_000).contains(definitions) else {
                throw ValidationError("--definitions must be between 10 and 1000000.")
            }
        }

        func run() throws {
            let json = output.json
            let result = try WorkspaceBenchmark(definitions: definitions, executablePath: NodeOptions.executablePath)
                .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }
}
