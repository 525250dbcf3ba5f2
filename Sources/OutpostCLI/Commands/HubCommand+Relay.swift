import ArgumentParser
import Foundation
import OutpostCore
import OutpostRelay

extension HubCommand {
    /// `outpost hub relay`: the changes a site hub's relay holds for a person, and their decisions.
    struct Relay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "relay",
            abstract: "List and decide the site changes a site hub's relay holds for a person.",
            discussion: """
                The relay holds a site change when the upstream holds the same row changed \
                differently and the tenant's rules leave the choice to a person (or the upstream \
                refused it). Everything else keeps flowing meanwhile; `outpost hub status` counts \
                what is held. Works on the relay's ledger, HOME/upstream.sqlite, whether the hub \
                runs or not; a running relay carries out a decision in its next round.

                Example:
                  outpost hub relay held
                  outpost hub relay resolve agents press-1 --keep site
                """,
            subcommands: [Held.self, Resolve.self]
        )

        struct Held: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "held",
                abstract: "List the site changes the relay holds, and upstream rows the site refused, with why.",
                discussion: "Example:\n  outpost hub relay held --json"
            )
            @OptionGroup var hub: HubOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                let ledger = try Relay.ledger(hub)
                let held = try ledger.pending(limit: 100_000, includingHeld: true).filter { $0.held != nil }
                let refused = try ledger.refusedHere()
                if output.json {
                    let up: [JSONValue] = held.map { entry in
                        [
                            "direction": "up", "table": .string(entry.table), "key": .string(entry.key),
                            "site_version": .integer(entry.siteVersion), "reason": .string(entry.held ?? ""),
                            "data": entry.data.flatMap { try? JSONValue(parsing: $0) } ?? .null,
                        ]
                    }
                    let down: [JSONValue] = refused.map { row in
                        [
                            "direction": "down", "table": .string(row.table), "key": .string(row.key),
                            "upstream_version": .integer(row.version), "reason": .string(row.reason),
                        ]
                    }
                    Output.json(.array(up + down))
                } else if held.isEmpty, refused.isEmpty {
                    print("The relay holds nothing.")
                } else {
                    Output.table(
                        headers: ["DIRECTION", "TABLE", "KEY", "VERSION", "WHY"],
                        rows: held.map { ["up", $0.table, $0.key, "site \($0.siteVersion)", $0.held ?? ""] }
                            + refused.map { ["down", $0.table, $0.key, "upstream \($0.version)", $0.reason] }
                    )
                    print(
                        "\nDecide a row held for a person with `outpost hub relay resolve TABLE KEY --keep site|upstream`."
                    )
                }
            }
        }

        struct Resolve: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "resolve",
                abstract: "Decide a held change: keep the site's row (it goes up) or the upstream's (it comes down).",
                discussion: "Example:\n  outpost hub relay resolve agents press-1 --keep upstream"
            )
            @OptionGroup var hub: HubOptions
            @Argument(help: "The row's table.") var table: String
            @Argument(help: "The row's key.") var key: String
            @Option(help: "Which row stands: site or upstream.") var keep: RelayDecision

            func run() throws {
                try Relay.ledger(hub).decide(table: table, key: key, keep: keep)
                print(
                    "decided: \(table)/\(key) keeps the \(keep.rawValue)'s row; the relay carries it out in its next round"
                )
            }
        }

        /// The relay's ledger, which must exist: only a site hub has one.
        static func ledger(_ hub: HubOptions) throws -> RelayLedger {
            let path = hub.homeFolder + "/upstream.sqlite"
            guard FileManager.default.fileExists(atPath: path) else {
                throw OutpostError(
                    .failedPrecondition,
                    "No relay at \(hub.homeFolder): this hub has never been served with --upstream (is --home right?)."
                )
            }
            return try RelayLedger(path: path)
        }
    }
}

extension RelayDecision: ExpressibleByArgument {}
