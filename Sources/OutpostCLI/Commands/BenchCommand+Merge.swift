import ArgumentParser
import Foundation
import OutpostBench
import OutpostCore
import OutpostMerge

extension BenchCommand {
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
