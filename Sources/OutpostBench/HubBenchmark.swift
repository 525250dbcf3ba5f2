import AsyncHTTPClient
import Foundation
import GRDB
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import OutpostCore
package import OutpostHub
import OutpostProtocol
import PostgresNIO

/// `outpost bench hub`: changes pushed through the hub over HTTP, against upserting the same rows
/// straight into the same database in the same batches.
///
/// The hub runs in this process on 127.0.0.1, over the given database. Request bodies are
/// encoded before the clock starts (that is the node's work, not the hub's); the hub's time
/// includes HTTP, decoding, validation, the tenant lock, the version check, the upsert and the
/// stored batch answer. The baseline is the same bulk upsert into `outpost_records` under
/// another tenant id, without HTTP, JSON or checks.
package struct HubBenchmark {
    let changes: Int
    let batchSize: Int
    let concurrency: Int
    let database: HubDatabase
    /// The folder of the default database: a fresh one under the temporary directory, removed
    /// when a run ends.
    private let folder: String

    /// - Parameter database: the hub's; `nil` for a SQLite file in a temporary folder.
    package init(changes: Int, batchSize: Int, concurrency: Int, database: HubDatabase?) {
        self.changes = changes
        self.batchSize = batchSize
        self.concurrency = concurrency
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(UUID().uuidString)").path
        self.database = database ?? .sqlite(path: folder + "/hub.sqlite")
    }

    package struct Result: Encodable {
        var machine: String
        var database: String
        var changes: Int
        var batchSize: Int
        var hubSeconds: Double
        var directSeconds: Double
        var hubChangesPerSecond: Double
        var directChangesPerSecond: Double
        var ratio: Double
        var repushChangedRows: Int64

        enum CodingKeys: String, CodingKey {
            case machine, database, changes, ratio
            case batchSize = "batch_size"
            case hubSeconds = "hub_seconds"
            case directSeconds = "direct_seconds"
            case hubChangesPerSecond = "hub_changes_per_second"
            case directChangesPerSecond = "direct_changes_per_second"
            case repushChangedRows = "repush_changed_rows"
        }

        package var report: String {
            """
            through the hub        \(Int(hubChangesPerSecond)) changes/s  (\(String(format: "%.2f", hubSeconds)) s)
            direct upsert          \(Int(directChangesPerSecond)) changes/s  (\(String(format: "%.2f", directSeconds)) s)
            ratio \(String(format: "%.2f", ratio))  (hub ÷ direct time; target ≤ 2.0 on PostgreSQL, ≥ 20,000 changes/s)
            re-pushing an acknowledged batch of \(batchSize) changed \(repushChangedRows) rows
            """
        }
    }

    package func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await BenchHub.with(database: database) { storage, port in
            progress("machine: \(MachineDescription.current); database \(database)")
            progress("\(changes) changes of ~300 B in batches of \(batchSize), \(concurrency) request(s) in flight")
            return try await measure(storage: storage, port: port, progress: progress)
        }
    }

    private func measure(storage: any HubStorage, port: Int, progress: @Sendable (String) -> Void) async throws
        -> Result
    {
        var ids = UUIDv7()
        let tenantName = "bench-" + ids.next().replacingOccurrences(of: "-", with: "")
        let tenant = try await storage.addTenant(name: tenantName)
        let token = NodeToken.generate()
        _ = try await storage.addNode(tenant: tenantName, name: "bench", tokenHash: NodeToken.hash(token))
        let rows = (0..<changes).map { index in Self.row(index: index, key: ids.next()) }
        let batches = stride(from: 0, to: rows.count, by: batchSize).map { start in
            PushRequest(
                batchID: ids.next(),
                changes: rows[start..<min(start + batchSize, rows.count)].map { row in
                    Change(
                        id: ids.next(),
                        table: "agents",
                        key: row.key,
                        operation: .upsert,
                        baseVersion: 0,
                        data: row.data,
                        hlc: 1
                    )
                }
            )
        }
        let bodies = try batches.map { ByteBuffer(bytes: try JSONEncoder().encode($0)) }

        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let url = "http://127.0.0.1:\(port)/v1/push"
        do {
            try await checkpoint(storage: storage, progress: progress)
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                func submit() {
                    guard next < bodies.count else { return }
                    let body = bodies[next]
                    next += 1
                    group.addTask { try await Self.post(body, to: url, token: token, client: client) }
                }
                for _ in 0..<concurrency { submit() }
                while try await group.next() != nil { submit() }
            }
            let hubSeconds = Self.seconds(ContinuousClock.now - start)
            progress("hub: \(changes) changes acknowledged in \(String(format: "%.2f", hubSeconds)) s")

            let before = try await storage.lastSequence(tenantID: tenant.id)
            try await Self.post(bodies[0], to: url, token: token, client: client)
            let repushChanged = try await storage.lastSequence(tenantID: tenant.id) - before

            let directTenant = "bench-direct-" + ids.next()
            try await checkpoint(storage: storage, progress: progress)
            let directSeconds = try await direct(rows: rows, tenant: directTenant, storage: storage)
            progress("direct: \(changes) rows upserted in \(String(format: "%.2f", directSeconds)) s")
            try await cleanUp(tenantIDs: [tenant.id, directTenant], storage: storage)
            try await client.shutdown()
            return Result(
                machine: MachineDescription.current,
                database: "\(database)",
                changes: changes,
                batchSize: batchSize,
                hubSeconds: hubSeconds,
                directSeconds: directSeconds,
                hubChangesPerSecond: Double(changes) / hubSeconds,
                directChangesPerSecond: Double(changes) / directSeconds,
                ratio: hubSeconds / directSeconds,
                repushChangedRows: repushChanged
            )
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func post(_ body: ByteBuffer, to url: String, token: String, client: HTTPClient) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else {
            throw OutpostError(.storage, "The hub answered \(response.status.code): \(String(buffer: answer))")
        }
    }

    /// The baseline: the same rows, the same batches, one bulk upsert each, no HTTP.
    private func direct(rows: [(key: String, data: JSONValue)], tenant: String, storage: any HubStorage) async throws
        -> Double
    {
        let batches = stride(from: 0, to: rows.count, by: batchSize).map {
            Array(rows[$0..<min($0 + batchSize, rows.count)])
        }
        let start = ContinuousClock.now
        switch database {
        case .postgres:
            guard let client = (storage as? PostgresHubStorage)?.client else { return .nan }
            var sequence: Int64 = 0
            for batch in batches {
                let keys = batch.map(\.key)
                let data = batch.map { $0.data.encoded() }
                let sequences = batch.map { _ in
                    sequence += 1
                    return sequence
                }
                try await client.query(
                    """
                    INSERT INTO outpost_records
                        (tenant_id, table_name, record_id, version, data, deleted, hlc, origin_node, change_id, seq)
                    SELECT \(tenant), 'agents', k, 1, d::jsonb, false, 1, 'direct', k, s
                    FROM unnest(\(keys)::text[], \(data)::text[], \(sequences)::int8[]) AS w(k, d, s)
                    ON CONFLICT (tenant_id, table_name, record_id) DO UPDATE SET
                        version = excluded.version, data = excluded.data, seq = excluded.seq, updated_at = now()
                    """
                )
            }
        case .sqlite(let path):
            let pool = try DatabasePool(path: path)
            var sequence: Int64 = 0
            for batch in batches {
                try await pool.write { [sequence] db in
                    let statement = try db.cachedStatement(
                        sql: """
                            INSERT INTO outpost_records
                                (tenant_id, table_name, record_id, version, data, deleted, hlc, origin_node, change_id, seq)
                            VALUES (?, 'agents', ?, 1, ?, 0, 1, 'direct', ?, ?)
                            ON CONFLICT (tenant_id, table_name, record_id) DO UPDATE SET
                                version = excluded.version, data = excluded.data, seq = excluded.seq
                            """
                    )
                    for (offset, row) in batch.enumerated() {
                        try statement.execute(arguments: [
                            tenant, row.key, row.data.encoded(), row.key, sequence + Int64(offset),
                        ])
                    }
                }
                sequence += Int64(batch.count)
            }
            try pool.close()
        }
        return Self.seconds(ContinuousClock.now - start)
    }

    /// Starts a timed phase right after a checkpoint, so that neither phase pays for one the
    /// other's writes made due (each phase writes about a third of `max_wal_size` by default).
    private func checkpoint(storage: any HubStorage, progress: (String) -> Void) async throws {
        guard case .postgres = database, let client = (storage as? PostgresHubStorage)?.client else { return }
        do {
            try await client.query("CHECKPOINT")
        } catch {
            progress("note: CHECKPOINT before the phase was refused (it needs superuser or pg_checkpoint): \(error)")
        }
    }

    private func cleanUp(tenantIDs: [String], storage: any HubStorage) async throws {
        switch database {
        case .postgres:
            guard let client = (storage as? PostgresHubStorage)?.client else { return }
            try await client.query("DELETE FROM outpost_records WHERE tenant_id = ANY(\(tenantIDs)::text[])")
            try await client.query("DELETE FROM outpost_batches WHERE tenant_id = ANY(\(tenantIDs)::text[])")
            try await client.query("DELETE FROM outpost_columns WHERE tenant_id = ANY(\(tenantIDs)::text[])")
            try await client.query("DELETE FROM outpost_nodes WHERE tenant_id = ANY(\(tenantIDs)::text[])")
            try await client.query("DELETE FROM outpost_tenants WHERE id = ANY(\(tenantIDs)::text[])")
            // Leave no dead rows behind for autovacuum to clean up during the next run's timing.
            try await client.query("VACUUM outpost_records")
        case .sqlite:
            break
        }
    }

    /// A realistic ~300-byte agent row.
    static func row(index: Int, key: String) -> (key: String, data: JSONValue) {
        let data: JSONValue = [
            "name": .string("agent-\(index)"),
            "type": "vision",
            "status": index % 10 == 0 ? "critical" : "active",
            "config": [
                "fps": .integer(Int64(index % 30)),
                "zones": ["entry", "exit", "dock"],
                "threshold": 0.75,
                "model": "detector-v3",
                "notes": .string(String(repeating: "n", count: 120)),
            ],
            "updated_at": "2026-11-25 09:00:00",
        ]
        return (key, data)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
