import Foundation
import OutpostCore
package import OutpostHub
import OutpostProtocol
import OutpostSync

/// `outpost bench scopes`: what a scoped node's initial pull costs on a large tenant.
///
/// One hub in this process on 127.0.0.1, over the given database, holds two tenants: a large
/// one of `sites × rowsPerSite` readings whose scopes give each node its site's rows, and a
/// small one of `rowsPerSite` readings with no scopes. A node of the large tenant with one
/// site's attribute, and a node of the small tenant, each pull everything they receive from
/// cursor 0 through the hub's HTTP API, in alternating rounds. Both receive the same number of
/// rows of the same shape, so the ratio of their times is what the scope costs (target ≤ 1.5):
/// near 1 when a scoped pull reads its node's rows, not the tenant's. The rows are pushed
/// through the hub, which sorts them into buckets, before anything is timed.
package struct ScopeBenchmark {
    let sites: Int
    let rowsPerSite: Int
    let rounds: Int
    let database: HubDatabase
    private let folder: String

    /// - Parameter database: the hub's; `nil` for a SQLite file in a temporary folder.
    package init(sites: Int, rowsPerSite: Int, rounds: Int, database: HubDatabase?) {
        self.sites = sites
        self.rowsPerSite = rowsPerSite
        self.rounds = rounds
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(UUID().uuidString)").path
        self.database = database ?? .sqlite(path: folder + "/hub.sqlite")
    }

    package struct Result: Encodable {
        var machine: String
        var database: String
        var tenantRows: Int
        var scopedRows: Int
        var scopedSeconds: Double
        var flatSeconds: Double
        var ratio: Double
        var roundRatios: [Double]

        enum CodingKeys: String, CodingKey {
            case machine, database, ratio
            case tenantRows = "tenant_rows"
            case scopedRows = "rows_pulled"
            case scopedSeconds = "scoped_seconds"
            case flatSeconds = "unscoped_seconds"
            case roundRatios = "round_ratios"
        }

        package var report: String {
            """
            machine: \(machine)
            database: \(database)
            scoped node, one site of a \(tenantRows)-row tenant: \(scopedRows) rows in \(String(format: "%.3f", scopedSeconds)) s (median)
            node of a \(scopedRows)-row tenant, no scopes:    \(scopedRows) rows in \(String(format: "%.3f", flatSeconds)) s (median)
            ratio \(String(format: "%.2f", ratio)) (scoped ÷ unscoped, median of \(roundRatios.count) rounds: \(roundRatios.map { String(format: "%.2f", $0) }.joined(separator: ", "))); target ≤ 1.5: \(ratio <= 1.5 ? "met" : "NOT met")
            """
        }
    }

    package func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await BenchHub.with(database: database) { storage, port in
            try await measure(storage: storage, url: "http://127.0.0.1:\(port)", progress: progress)
        }
    }

    private func measure(storage: any HubStorage, url: String, progress: @Sendable (String) -> Void) async throws
        -> Result
    {
        var ids = UUIDv7()
        let suffix = ids.next().replacingOccurrences(of: "-", with: "")
        let (large, small) = ("bench-scoped-" + suffix, "bench-flat-" + suffix)
        _ = try await storage.addTenant(name: large)
        _ = try await storage.addTenant(name: small)
        func client(_ tenant: String, site: String) async throws -> (id: String, client: HubClient) {
            let token = NodeToken.generate()
            let node = try await storage.addNode(tenant: tenant, name: site, tokenHash: NodeToken.hash(token))
            _ = try await storage.setAttributes(nodeID: node.id, attributes: NodeAttributes(["site": site]))
            return (node.id, HubClient(remote: try RemoteConfiguration(url: url, token: token)))
        }
        // One writer loads every site's rows before the scopes are set (a node of one site could
        // not write the others'), then leaves.
        let (writerID, writer) = try await client(large, site: "loader")
        let flatWriter = try await client(small, site: "loader").client
        // Rows (not timed): the large tenant's sites interleaved, as a fleet writes them.
        let total = sites * rowsPerSite
        let batch = 2_000
        for start in stride(from: 0, to: total, by: batch) {
            let changes = (start..<min(start + batch, total)).map { Self.change($0, site: $0 % sites) }
            _ = try await writer.push(PushRequest(batchID: UUID().uuidString, changes: changes))
            if (start / batch) % 50 == 49 { progress("\(start + batch) of \(total) rows pushed") }
        }
        for start in stride(from: 0, to: rowsPerSite, by: batch) {
            let changes = (start..<min(start + batch, rowsPerSite)).map { Self.change($0, site: 0) }
            _ = try await flatWriter.push(PushRequest(batchID: UUID().uuidString, changes: changes))
        }
        try await storage.revokeNode(id: writerID)
        let sorted = try await storage.setScopes(
            tenant: large,
            rules: try ScopeRules(
                parsing: #"{"tables": {"readings": {"rows": {"column": "site", "equals": "node.site"}}}}"#
            )
        )
        progress(
            "\(total) rows in \(sites) sites (\(sorted) sorted into buckets), and \(rowsPerSite) rows without scopes"
        )

        let scoped = try await client(large, site: "site-\(sites / 2)").client
        let flat = try await client(small, site: "none").client
        var scopedTimes: [Double] = []
        var flatTimes: [Double] = []
        var pulled = 0
        for round in 0..<rounds {
            let (scopedTime, scopedRows) = try await Self.pullAll(scoped)
            let (flatTime, flatRows) = try await Self.pullAll(flat)
            guard scopedRows == rowsPerSite, flatRows == rowsPerSite else {
                throw OutpostError(
                    .failedPrecondition,
                    "The scoped node pulled \(scopedRows) rows and the other \(flatRows); both should get \(rowsPerSite)."
                )
            }
            pulled = scopedRows
            scopedTimes.append(scopedTime)
            flatTimes.append(flatTime)
            progress(
                "round \(round + 1): scoped \(String(format: "%.3f", scopedTime)) s, unscoped \(String(format: "%.3f", flatTime)) s"
            )
        }
        // A database given by the caller is left as it was found.
        _ = try await storage.removeTenant(name: large)
        _ = try await storage.removeTenant(name: small)
        let ratios = zip(scopedTimes, flatTimes).map { $0 / $1 }
        return Result(
            machine: MachineDescription.current,
            database: database.description,
            tenantRows: total,
            scopedRows: pulled,
            scopedSeconds: scopedTimes.median,
            flatSeconds: flatTimes.median,
            ratio: ratios.median,
            roundRatios: ratios
        )
    }

    /// Pulls everything from cursor 0 in pages of 1,000, as a new node does.
    private static func pullAll(_ client: HubClient) async throws -> (seconds: Double, rows: Int) {
        let start = ContinuousClock.now
        var cursor: Int64 = 0
        var rows = 0
        while true {
            let page = try await client.pull(after: cursor, limit: 1_000).value
            rows += page.rows.count
            cursor = page.cursor
            if !page.more { break }
        }
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, rows)
    }

    /// A reading of ~200 bytes at `site`.
    private static func change(_ index: Int, site: Int) -> Change {
        Change(
            id: UUID().uuidString,
            table: "readings",
            key: "r-\(index)",
            operation: .upsert,
            baseVersion: 0,
            data: [
                "site": .string("site-\(site)"), "sensor": .string("s-\(index % 97)"),
                "value": .double(Double(index) / 7),
                "unit": "kPa", "note": .string(String(repeating: "n", count: 100)),
            ],
            hlc: Int64(index + 1)
        )
    }
}
