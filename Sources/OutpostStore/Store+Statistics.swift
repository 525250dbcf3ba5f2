import GRDB
public import OutpostCore

extension Store {
    /// Counts of rows, queue entries and conflicts, and the file's size, read in one snapshot.
    public func statistics() throws(OutpostError) -> StoreStatistics {
        try read { db in
            func count(_ table: String) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            }
            func grouped(_ sql: String) throws -> [String: Int] {
                var result: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: sql) {
                    result[(row[0] as String?) ?? "unknown"] = row[1]
                }
                return result
            }
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return StoreStatistics(
                nodeID: nodeID,
                totalAgents: try count("agents"),
                totalWorkflows: try count("workflows"),
                totalExecutions: try count("executions"),
                syncQueue: try Outbox(db).countsByStatus(),
                pendingByPriority: try Outbox(db).countsByPriority(of: [.pending]),
                conflicts: try grouped("SELECT status, count(*) FROM conflict_resolution GROUP BY status"),
                trackedTables: try String.fetchAll(
                    db,
                    sql: "SELECT table_name FROM outpost_tracked_tables ORDER BY table_name"
                ),
                databaseSizeMB: Double(pages * pageSize) / (1024 * 1024)
            )
        }
    }
}
