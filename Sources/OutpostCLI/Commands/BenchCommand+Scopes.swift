import ArgumentParser
import OutpostBench
import OutpostHub

extension BenchCommand {
    struct Scopes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scopes",
            abstract: "A scoped node's initial pull from a large tenant, against a small tenant with no scopes.",
            discussion: """
                Starts a hub in this process on 127.0.0.1 over --database (default: a temporary \
                SQLite file) and pushes a tenant of SITES × ROWS readings, scoped by site, and a \
                tenant of ROWS readings with no scopes. A node of one site and a node of the small \
                tenant then each pull everything from the start, in alternating rounds: the same \
                rows, so the ratio of their times is what the scope costs (target ≤ 1.5).

                Example:
                  outpost bench scopes
                  outpost bench scopes --sites 10 --rows-per-site 1000 --json
                """
        )

        @Option(help: "Sites in the large tenant.") var sites = 100
        @Option(help: "Readings per site (and in the small tenant).") var rowsPerSite = 10_000
        @Option(help: "Rounds of the two pulls; the median is reported.") var rounds = 5
        @Option(help: "sqlite:PATH or postgres://USER@HOST:PORT/DB; default a temporary SQLite file.")
        var database: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (2...10_000).contains(sites) else { throw ValidationError("--sites must be from 2 to 10000.") }
            guard (1...1_000_000).contains(rowsPerSite) else {
                throw ValidationError("--rows-per-site must be from 1 to 1000000.")
            }
            guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be from 1 to 100.") }
        }

        func run() async throws {
            let json = output.json
            let result = try await ScopeBenchmark(
                sites: sites,
                rowsPerSite: rowsPerSite,
                rounds: rounds,
                database: try database.map { try HubDatabase(parsing: $0) }
            )
            .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }
}
