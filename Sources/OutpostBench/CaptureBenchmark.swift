import Foundation
import GRDB
import OutpostCore
import OutpostStore

/// `outpost bench capture`: what trigger-based capture costs over a plain insert.
///
/// Both tables have the same shape and get the same rows (time-ordered ids, ~300-byte rows) in
/// a fresh store under the same pragmas; runs alternate between them and the best of each kind
/// is kept, so background noise hits both sides alike.
package struct CaptureBenchmark {
    let rows: Int
    let rounds: Int

    package init(rows: Int, rounds: Int) {
        self.rows = rows
        self.rounds = rounds
    }

    package struct Result: Encodable {
        var machine: String
        var sqliteVersion: String
        var rows: Int
        var rounds: Int
        var plainSeconds: Double
        var capturedSeconds: Double
        var captureRatio: Double
        var foldSeconds: Double
        var captureAndFoldRatio: Double
        var smallTransactionSeconds: Double
        var smallTransactionRatio: Double
        var multiRowPlainSeconds: Double
        var multiRowCapturedSeconds: Double
        var multiRowCaptureRatio: Double

        enum CodingKeys: String, CodingKey {
            case machine, rows, rounds
            case sqliteVersion = "sqlite_version"
            case plainSeconds = "plain_seconds"
            case capturedSeconds = "captured_seconds"
            case captureRatio = "capture_ratio"
            case foldSeconds = "fold_seconds"
            case captureAndFoldRatio = "capture_and_fold_ratio"
            case smallTransactionSeconds = "small_transaction_seconds"
            case smallTransactionRatio = "small_transaction_ratio"
            case multiRowPlainSeconds = "multi_row_plain_seconds"
            case multiRowCapturedSeconds = "multi_row_captured_seconds"
            case multiRowCaptureRatio = "multi_row_capture_ratio"
        }

        package var report: String {
            func rate(_ seconds: Double) -> String { String(format: "%.0f rows/s", Double(rows) / seconds) }
            return """
                plain insert           \(rate(plainSeconds))  (\(String(format: "%.3f", plainSeconds)) s)
                captured insert        \(rate(capturedSeconds))  (\(String(format: "%.3f", capturedSeconds)) s)
                ratio \(String(format: "%.2f", captureRatio))  (captured ÷ plain time; target ≤ 2.0)
                fold into the queue    \(rate(foldSeconds))  (\(String(format: "%.3f", foldSeconds)) s)
                ratio \(String(format: "%.2f", captureAndFoldRatio))  (captured + fold ÷ plain time: the whole cost, paid at push)
                100-row transactions   \(rate(smallTransactionSeconds))  (\(String(format: "%.3f", smallTransactionSeconds)) s)
                ratio \(String(format: "%.2f", smallTransactionRatio))  (100-row transactions ÷ one transaction, captured; target ≤ 1.5)
                100 rows a statement   plain \(rate(multiRowPlainSeconds)), captured \(rate(multiRowCapturedSeconds))
                ratio \(String(format: "%.2f", multiRowCaptureRatio))  (captured ÷ plain time, multi-row INSERT statements)
                """
        }
    }

    package func run(progress: (String) -> Void) throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("store.sqlite").path, createIfMissing: true)
        let sqliteVersion = try store.read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "" }

        var ids = UUIDv7()
        let keys = (0..<rows).map { _ in ids.next() }
        // ~300 bytes a row: a 36-byte id, a 240-byte payload and a short status.
        let payloads = (0..<rows).map { index in
            String(repeating: String(format: "%08x", index &* 2_654_435_761 & 0xFFFF_FFFF), count: 30)
        }

        progress("machine: \(MachineDescription.current); SQLite \(sqliteVersion)")
        progress("rows: \(rows) of ~300 B, best of \(rounds) run(s) each")

        var plain = Double.infinity
        var captured = Double.infinity
        var capturedAndFolded = (capture: Double.infinity, fold: Double.infinity)
        var small = Double.infinity
        var multiPlain = Double.infinity
        var multiCaptured = Double.infinity
        for round in 1...rounds {
            plain = min(plain, try timeInsert(into: "bench_plain", tracked: false, batch: rows, store, keys, payloads))
            let capture = try timeInsert(into: "bench_captured", tracked: true, batch: rows, store, keys, payloads)
            let fold = try timeFold(store)
            captured = min(captured, capture)
            if capture + fold < capturedAndFolded.capture + capturedAndFolded.fold {
                capturedAndFolded = (capture, fold)
            }
            small = min(small, try timeInsert(into: "bench_small", tracked: true, batch: 100, store, keys, payloads))
            multiPlain = min(
                multiPlain,
                try timeInsert(
                    into: "bench_plain",
                    tracked: false,
                    batch: rows,
                    perStatement: 100,
                    store,
                    keys,
                    payloads
                )
            )
            multiCaptured = min(
                multiCaptured,
                try timeInsert(
                    into: "bench_captured",
                    tracked: true,
                    batch: rows,
                    perStatement: 100,
                    store,
                    keys,
                    payloads
                )
            )
            progress(
                "run \(round)/\(rounds): plain \(format(plain)) s, captured \(format(captured)) s, 100-row \(format(small)) s"
            )
        }
        return Result(
            machine: MachineDescription.current,
            sqliteVersion: sqliteVersion,
            rows: rows,
            rounds: rounds,
            plainSeconds: plain,
            capturedSeconds: captured,
            captureRatio: captured / plain,
            foldSeconds: capturedAndFolded.fold,
            captureAndFoldRatio: (capturedAndFolded.capture + capturedAndFolded.fold) / plain,
            smallTransactionSeconds: small,
            smallTransactionRatio: small / captured,
            multiRowPlainSeconds: multiPlain,
            multiRowCapturedSeconds: multiCaptured,
            multiRowCaptureRatio: multiCaptured / multiPlain
        )
    }

    /// Times folding the capture log into the queue (what the next push does first).
    private func timeFold(_ store: Store) throws -> Double {
        let start = ContinuousClock.now
        try store.write { db in try Outbox(db).fold() }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Recreates `table`, then times inserting every row in transactions of `batch` rows, with
    /// `perStatement` rows in each INSERT statement.
    private func timeInsert(
        into table: String,
        tracked: Bool,
        batch: Int,
        perStatement: Int = 1,
        _ store: Store,
        _ keys: [String],
        _ payloads: [String]
    ) throws -> Double {
        try store.write { db in
            try Outbox(db).removeAll()
            try db.execute(sql: "DROP TABLE IF EXISTS \(table)")
            try db.execute(
                sql: "CREATE TABLE \(table) (id TEXT PRIMARY KEY, payload TEXT NOT NULL, status TEXT NOT NULL)"
            )
        }
        if tracked { try store.track(table) }
        _ = try store.pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }

        let start = ContinuousClock.now
        var index = 0
        while index < keys.count {
            let end = min(index + batch, keys.count)
            try store.write { [index] db in
                let tuples = Array(repeating: "(?, ?, 'ok')", count: perStatement).joined(separator: ", ")
                let statement = try db.makeStatement(sql: "INSERT INTO \(table) (id, payload, status) VALUES \(tuples)")
                var row = index
                while row + perStatement <= end {
                    var values: [any DatabaseValueConvertible] = []
                    values.reserveCapacity(perStatement * 2)
                    for offset in row..<row + perStatement {
                        values.append(keys[offset])
                        values.append(payloads[offset])
                    }
                    statement.setUncheckedArguments(StatementArguments(values))
                    try statement.execute()
                    row += perStatement
                }
                let single = try db.makeStatement(sql: "INSERT INTO \(table) (id, payload, status) VALUES (?, ?, 'ok')")
                for remaining in row..<end {
                    single.setUncheckedArguments([keys[remaining], payloads[remaining]])
                    try single.execute()
                }
            }
            index = end
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}
