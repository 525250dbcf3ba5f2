import ArgumentParser
import OutpostBench

extension BenchCommand {
    struct Fleet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fleet",
            abstract: "A fleet on one hub: memory and CPU per idle node, push-to-visible latency.",
            discussion: """
                For each fleet size: registers that many nodes (and one that pushes) in a fresh \
                tenant, starts `outpost hub serve` as its own process on 127.0.0.1 with its \
                connection limit raised to fit, and keeps every node long-polling from this \
                process, one connection each. Reads the hub's memory and CPU from /proc while the \
                fleet waits and nothing changes, then times small pushes until every node holds \
                each (p50, p99). Then every node asks at once with nothing to wait for, `GET \
                /health` and a pull at the head (p99 of each): the floor any fan-out to that many \
                nodes meets. A fleet of one node, measured first, is the baseline. Raises this \
                process's open-file limit to its hard limit; the hub inherits it. See \
                docs/scale.md.

                Example:
                  outpost bench fleet
                  outpost bench fleet --nodes 100 --nodes 1000 --json
                  outpost bench fleet --database postgres://pg@127.0.0.1/outpost
                """
        )

        @Option(help: "Fleet sizes to measure (repeatable).") var nodes: [Int] = [100, 1_000, 5_000]
        @Option(help: "Seconds the idle CPU is measured for, per fleet.") var seconds = 10
        @Option(help: "Pushes timed per fleet.") var pushes = 20
        @Option(help: "sqlite:PATH or postgres://USER@HOST:PORT/DB; default a temporary SQLite file per fleet.")
        var database: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !nodes.isEmpty, nodes.allSatisfy({ (1...20_000).contains($0) }) else {
                throw ValidationError("--nodes must be between 1 and 20000.")
            }
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 600.") }
            guard (1...1_000).contains(pushes) else { throw ValidationError("--pushes must be 1 to 1000.") }
        }

        func run() async throws {
            let json = output.json
            let result = try await FleetBenchmark(
                sizes: nodes,
                idleSeconds: seconds,
                pushes: pushes,
                database: database,
                executable: NodeOptions.executablePath
            )
            .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }
}
