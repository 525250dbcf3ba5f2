import ArgumentParser
import Foundation
import OutpostCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Outpost against a baseline run on the same machine, in the same run.",
        discussion: "Figures are ratios against the baseline, so they travel between machines better than rates.",
        subcommands: [Capture.self, Merge.self]
    )

    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cost of change capture: inserts into a synced table vs a plain one.",
            discussion: """
                Inserts N rows of ~300 bytes in one transaction into a plain table and into a tracked
                table (same shape) in a temporary store, best of --rounds, and prints both rates and the
                ratio of their times (target ≤ 1.35). Then inserts the same rows into the tracked table
                in 100-row transactions and prints the ratio against one transaction (target ≤ 1.5).

                Example:
                  outpost bench capture
                  outpost bench capture --rows 200000 --json
                """
        )

        @Option(help: "Rows per run.") var rows = 50_000
        @Option(help: "Runs of each kind; the best is kept.") var rounds = 3
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard rows >= 100 else { throw ValidationError("--rows must be at least 100.") }
            guard (1...50).contains(rounds) else { throw ValidationError("--rounds must be between 1 and 50.") }
        }

        func run() throws {
            let result = try CaptureBenchmark(rows: rows, rounds: rounds).run { line in
                if !output.json { print(line) }
            }
            if output.json {
                Output.json(result)
            } else {
                print(result.report)
            }
        }
    }
}
