import ArgumentParser
import Foundation
import OutpostCore
import OutpostMerge

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

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rate of conflict resolution on one core: realistic agent and workflow conflicts.",
            discussion: """
                Builds N conflicts of agent and workflow rows (nested config, step arrays, multi-line
                text, one to three fields changed on each side, sometimes the same one) from a fixed
                seed, then times resolving them all with the shipped rules on one thread (building is
                not timed). Prints the machine, the rate and the target (≥ 20,000 conflicts/s).

                Example:
                  outpost bench merge
                  outpost bench merge --conflicts 20000 --json
                """
        )

        /// The rate the issue asks for, on one core.
        static let target = 20_000.0

        @Option(help: "How many conflicts to resolve.") var conflicts = 100_000
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (100...10_000_000).contains(conflicts) else {
                throw ValidationError("--conflicts must be between 100 and 10000000.")
            }
        }

        func run() {
            let machine = MachineDescription.current
            if !output.json { print("machine: \(machine)") }
            let result = MergeBenchmark(conflicts: conflicts).run()
            let seconds =
                Double(result.elapsed.components.seconds) + Double(result.elapsed.components.attoseconds) * 1e-18
            let meets = result.conflictsPerSecond >= Self.target
            if output.json {
                Output.json([
                    "machine": .string(machine), "conflicts": .integer(Int64(result.conflicts)),
                    "seconds": .double(seconds), "conflicts_per_second": .double(result.conflictsPerSecond),
                    "needing_approval": .integer(Int64(result.needingApproval)),
                    "collisions": .integer(Int64(result.collisions)), "target_per_second": .double(Self.target),
                    "meets_target": .bool(meets),
                ])
                return
            }
            print("\(result.conflicts) conflicts in \(String(format: "%.3f", seconds)) s, one thread")
            print(
                "\(String(format: "%.0f", result.conflictsPerSecond)) conflicts/s  "
                    + "(target ≥ \(String(format: "%.0f", Self.target))/s on one core: \(meets ? "met" : "NOT met"))"
            )
            print("needing approval: \(result.needingApproval); colliding fields: \(result.collisions)")
        }
    }
}
