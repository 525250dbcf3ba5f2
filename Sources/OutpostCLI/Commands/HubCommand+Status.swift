import ArgumentParser
import Foundation
import OutpostCore
import OutpostHub
import OutpostRelay

extension HubCommand {
    /// `outpost hub status`: the hub's tenants and, on a site hub, its upstream link.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the hub's tenants and, on a site hub, the link to its upstream.",
            discussion: """
                On a hub served with --upstream, the link shows whether its last round worked \
                (up/down, or quota once the daily quota is spent) and when, how long the round \
                took, what failed last, the bytes sent and received today against the quota, and \
                the site changes waiting to go up by table and by priority (held: waiting for a \
                person, or refused upstream). It reads the relay's ledger, HOME/upstream.sqlite, \
                so it works whether the hub runs or not.

                Example:
                  outpost hub status
                  outpost hub status --json | jq .upstream.link
                """
        )
        @OptionGroup var hub: HubOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let tenants = try await hub.withStorage { storage in
                var counts: [(TenantInfo, Int)] = []
                for tenant in try await storage.tenants() {
                    counts.append((tenant, try await storage.nodes(tenant: tenant.name).count))
                }
                return counts
            }
            let ledger = hub.homeFolder + "/upstream.sqlite"
            let upstream = FileManager.default.fileExists(atPath: ledger) ? try RelayStatus.read(ledgerAt: ledger) : nil
            if output.json {
                var report: [String: JSONValue] = [
                    "tenants": .array(
                        tenants.map {
                            ["name": .string($0.0.name), "id": .string($0.0.id), "nodes": .integer(Int64($0.1))]
                        }
                    )
                ]
                if let upstream {
                    report["upstream"] = try JSONValue(
                        parsing: String(decoding: JSONEncoder().encode(upstream), as: UTF8.self)
                    )
                }
                Output.json(.object(report))
                return
            }
            print(
                "Tenants: "
                    + (tenants.isEmpty
                        ? "none" : tenants.map { "\($0.0.name) (\($0.1) nodes)" }.joined(separator: ", "))
            )
            guard let upstream else {
                print("Upstream: none (this hub is not a site hub; see `outpost hub serve --help`, --upstream)")
                return
            }
            print("Upstream: \(upstream.url ?? "?") — link \(upstream.link)")
            print(
                "  last exchange: \(upstream.lastExchange ?? "never")"
                    + (upstream.roundTripMilliseconds.map { ", round trip \($0) ms" } ?? "")
            )
            if upstream.link == "down", let error = upstream.lastError { print("  last error: \(error)") }
            let quota = upstream.dailyQuotaBytes.map { ", against a daily quota of \($0)" } ?? ""
            print("  today: \(upstream.bytesSentToday) bytes sent, \(upstream.bytesReceivedToday) received\(quota)")
            let byTable = upstream.waitingByTable.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")
            print(
                "  waiting to go up: \(upstream.waiting)" + (byTable.isEmpty ? "" : " (\(byTable))")
                    + ", held \(upstream.held)"
            )
            let byPriority = upstream.waitingByPriority.sorted { (Int($0.key) ?? 0) > (Int($1.key) ?? 0) }
            if !byPriority.isEmpty {
                print("  by priority: " + byPriority.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
            }
        }
    }
}
