import ArgumentParser
import OutpostBench

extension BenchCommand {
    struct Cluster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cluster",
            abstract: "A site hub: latency inside a cut site, and WAN bytes of a fan-out to a site.",
            discussion: """
                Starts real hubs (`outpost hub serve`, SQLite, on 127.0.0.1) and puts a loopback \
                relay on each site's WAN link. First: a row written on one node (`outpost run`) \
                until the other node of its site holds it, through a site hub whose uplink refuses \
                every byte, against the same two nodes on a plain hub in the same run (target: \
                p99 ≤ 1.2×). Then: rows a cloud node pushes until every node of a site holds them, \
                counting the bytes on the site's WAN link, for a site of one node and a site of \
                --large-site nodes (target: ≤ 1.1×). See docs/clusters.md.

                Example:
                  outpost bench cluster
                  outpost bench cluster --samples 100 --rows 10000 --large-site 10 --json
                """
        )

        @Option(help: "Latency samples per topology.") var samples = 50
        @Option(help: "Rows fanned out to a site.") var rows = 10_000
        @Option(help: "Nodes in the larger site.") var largeSite = 10
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (5...10_000).contains(samples) else { throw ValidationError("--samples must be 5 to 10000.") }
            guard (1...1_000_000).contains(rows) else { throw ValidationError("--rows must be 1 to 1000000.") }
            guard (2...100).contains(largeSite) else { throw ValidationError("--large-site must be 2 to 100.") }
        }

        func run() async throws {
            let json = output.json
            let result = try await ClusterBenchmark(
                samples: samples,
                rows: rows,
                largeSite: largeSite,
                executable: NodeOptions.executablePath
            )
            .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }
}
