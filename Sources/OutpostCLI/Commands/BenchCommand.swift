import ArgumentParser
import OutpostBench
import OutpostBlobs
import OutpostHub

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Outpost against a baseline run on the same machine, in the same run.",
        discussion: "Figures are ratios against the baseline, so they travel between machines better than rates.",
        subcommands: [
            Capture.self, Hub.self, Polls.self, Fleet.self, Merge.self, Sync.self, Files.self, WorkspaceBench.self,
            Runner.self,
            Scopes.self, Cluster.self,
        ]
    )

    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "capture",
            abstract: "Cost of change capture: inserts into a synced table vs a plain one.",
            discussion: """
                Inserts N rows of ~300 bytes in one transaction into a plain table and into a tracked \
                table (same shape) in a temporary store, best of --rounds, and prints both rates and the \
                ratio of their times (target ≤ 2.0). Then inserts the same rows into the tracked table \
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

    struct Hub: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hub",
            abstract: "Hub throughput: changes pushed over HTTP vs the same rows upserted directly.",
            discussion: """
                Starts a hub in this process on 127.0.0.1 over --database (default: a temporary SQLite \
                file), pushes N changes of ~300 B in batches, and in the same run upserts the same rows \
                straight into the same database. Prints both rates and the ratio of their times \
                (targets on PostgreSQL: ≥ 20,000 changes/s and ≤ 2.0), and checks that re-pushing an \
                acknowledged batch changes nothing.

                On PostgreSQL each timed phase starts right after a CHECKPOINT (superuser or the \
                pg_checkpoint role; without it the run says so and goes on), and the run deletes the \
                tenants and rows it wrote and VACUUMs outpost_records, so the next run starts clean.

                Example:
                  outpost bench hub
                  outpost bench hub --changes 100000 --database postgres://pg@127.0.0.1/outpost
                """
        )

        @Option(help: "Changes to push.") var changes = 100_000
        @Option(help: "Changes per push.") var batch = 1_000
        @Option(help: "Pushes in flight at once.") var concurrency = 2
        @Option(help: "sqlite:PATH or postgres://USER@HOST:PORT/DB; default a temporary SQLite file.")
        var database: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard changes >= batch, batch >= 1 else {
                throw ValidationError("--changes must be at least --batch (≥ 1).")
            }
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64.") }
        }

        func run() async throws {
            let json = output.json
            let result = try await HubBenchmark(
                changes: changes,
                batchSize: batch,
                concurrency: concurrency,
                database: try database.map { try HubDatabase(parsing: $0) }
            )
            .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }

    struct Polls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "polls",
            abstract: "Idle long polls: the hub's CPU while N pulls wait and nothing changes.",
            discussion: """
                Starts a hub in this process on 127.0.0.1 over --database (default: a temporary SQLite \
                file), pushes a row and a conflict on it, then keeps N pulls waiting (wait_ms=30000) \
                and measures this process's CPU time over --seconds: first with every waiter checking \
                the database every 50 ms (the baseline: `hub serve --cross-process-poll 50ms`), then \
                with waiters following the change feed (the default). Prints both, the database checks \
                the waiters made, and the ratio.

                Example:
                  outpost bench polls
                  outpost bench polls --polls 500 --database postgres://pg@127.0.0.1/outpost
                """
        )

        @Option(help: "Pulls kept waiting.") var polls = 100
        @Option(help: "Seconds measured per mode.") var seconds = 10
        @Option(help: "sqlite:PATH or postgres://USER@HOST:PORT/DB; default a temporary SQLite file.")
        var database: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...5_000).contains(polls) else { throw ValidationError("--polls must be 1 to 5000.") }
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 600.") }
        }

        func run() async throws {
            let json = output.json
            let result = try await PollBenchmark(
                polls: polls,
                seconds: seconds,
                database: try database.map { try HubDatabase(parsing: $0) }
            )
            .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync",
            abstract: "Sync engine: push and initial pull rates, bytes per update, A→B latency.",
            discussion: """
                Starts a hub in this process on 127.0.0.1 over --database (default: a temporary \
                SQLite file) and two nodes in a temporary folder. Measures, each against a baseline \
                from the same run: pushing N captured rows until acknowledged (vs the transport \
                alone), the initial pull of N rows into a fresh node run as `outpost sync` (vs \
                pulling without storing; its peak memory too; --pull-pairs pairs in alternating \
                order, medians reported), the bytes on the wire per two-field update, and the A→B \
                latency with `outpost run` on both nodes.

                Example:
                  outpost bench sync
                  outpost bench sync --rows 100000 --database postgres://pg@127.0.0.1/outpost
                """
        )

        @Option(help: "Rows to push and pull.") var rows = 100_000
        @Option(help: "Changes timed from node A to node B.") var samples = 200
        @Option(help: "Initial pulls timed, each beside the transport alone; the median counts.")
        var pullPairs = 5
        @Option(help: "sqlite:PATH or postgres://USER@HOST:PORT/DB; default a temporary SQLite file.")
        var database: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard rows >= 100 else { throw ValidationError("--rows must be at least 100.") }
            guard samples >= 10 else { throw ValidationError("--samples must be at least 10.") }
            guard (1...50).contains(pullPairs) else { throw ValidationError("--pull-pairs must be from 1 to 50.") }
        }

        func run() async throws {
            let json = output.json
            let result = try await SyncBenchmark(
                rows: rows,
                latencySamples: samples,
                pullPairs: pullPairs,
                database: try database.map { try HubDatabase(parsing: $0) }
            )
            .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }

    struct Files: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "files",
            abstract:
                "Files: put and get speed vs rsync and cp, bytes sent for an edit vs rsync, chunking and upload speed.",
            discussion: """
                Starts a hub in this process on 127.0.0.1 over --database (default: a temporary SQLite \
                file) behind a relay that counts bytes on the wire, and two nodes. Measures, in the same \
                run: bytes pushed after 100 B are inserted in the middle of a 16 MiB file and after 1% \
                of the 4 KiB pages of a 20 MB file are rewritten, each against `rsync --no-whole-file` \
                on the same change (when rsync is installed); chunks sent when a second node puts a \
                file the hub already has; chunking plus hashing speed against SHA-256 alone; and a put \
                of a 256 MiB random file into a fresh node against rsync of it to a local folder, and \
                its get against cp (alone, and followed by an fsync as the get does), medians of \
                five rounds; and a push uploading a 64 MiB random file's chunks to the hub, against \
                the hub's storage taking chunks of the same sizes alone. Needs rsync and about 1 GiB \
                free in the temporary folder.

                Example:
                  outpost bench files
                  outpost bench files --chunk-size 8k --json
                """
        )

        @Option(name: .customLong("chunk-size"), help: "Average chunk size (a power of two). Defaults to the store's.")
        var chunkSize: ByteCount?
        @Option(help: "sqlite:PATH or postgres://USER@HOST:PORT/DB; default a temporary SQLite file.")
        var database: String?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let chunkSize, !ContentDefinedChunker.isValidAverageSize(Int(chunkSize.bytes)) {
                throw ValidationError("--chunk-size must be a power of two from 256 to 128k.")
            }
        }

        func run() async throws {
            let json = output.json
            let result = try await FilesBenchmark(
                database: try database.map { try HubDatabase(parsing: $0) },
                averageChunkSize: chunkSize.map { Int($0.bytes) }
            )
            .run { line in if !json { print(line) } }
            if json { Output.json(result) } else { print(result.report) }
        }
    }
}
