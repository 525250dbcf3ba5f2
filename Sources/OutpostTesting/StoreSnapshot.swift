import Foundation
import GRDB

/// Every row of every table of an SQLite file, as text: compare two snapshots to prove that a
/// refused operation changed nothing.
public enum StoreSnapshot {
    public static func take(_ path: String) throws -> [String: [String]] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            var snapshot: [String: [String]] = [:]
            let objects = try Row.fetchAll(db, sql: "SELECT type, name, sql FROM sqlite_master ORDER BY name")
            snapshot["sqlite_master"] = objects.map {
                "\($0["type"] as String? ?? "") \($0["name"] as String? ?? "") \($0["sql"] as String? ?? "")"
            }
            for table in try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ) {
                let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                snapshot[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(quoted)").map(\.description).sorted()
            }
            return snapshot
        }
    }
}
