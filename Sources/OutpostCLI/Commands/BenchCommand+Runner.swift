import ArgumentParser
import OutpostBench

extension BenchCommand {
    struct Runner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runner",
            abstract: "What the workflow runner adds: N one-step /bin/true runs against N direct spawns.",
            discussion: """
                On a fresh store in a temporary folder: spawns /bin/true N times directly (the \
                baseline), runs a one-step command workflow running /bin/true N times (each run \
                recorded as an execution), and runs N workflows of ten in-process no-op steps. \
                Prints the machine, the overhead ratio (target ≤ 1.5) and no-op steps per second.

                Example:
                  outpost bench runner
                  outpost bench runner --runs 200 --json
                """
        )

        @Option(help: "How many runs of each kind.") var runs = 1_000
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (10...100_000).contains(runs) else { throw ValidationError("--runs must be between 10 and 100000.") }
        }

        func run() async throws {
            let machine = MachineDescription.current
            if !output.json { print("machine: \(machine)") }
            let result = try await RunnerBenchmark(runs: runs).run()
            if output.json { Output.json(result.json(machine: machine)) } else { print(result.report) }
        }
    }
}
