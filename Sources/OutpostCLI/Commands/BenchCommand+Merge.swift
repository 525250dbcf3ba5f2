import ArgumentParser
import OutpostBench

extension BenchCommand {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Rate of conflict resolution on one core: realistic agent and workflow conflicts.",
            discussion: """
                Builds N conflicts of agent and workflow rows (nested config, step arrays, multi-line \
                text, one to three fields changed on each side, sometimes the same one) from a fixed \
                seed, then times resolving them all with the shipped rules on one thread (building is \
                not timed). Prints the machine, the rate and the target (≥ 20,000 conflicts/s).

                Example:
                  outpost bench merge
                  outpost bench merge --conflicts 20000 --json
                """
        )

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
            if output.json { Output.json(result.json(machine: machine)) } else { print(result.report) }
        }
    }
}
