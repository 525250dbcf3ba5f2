import GRDB
import OutpostCore
import OutpostStore
import OutpostTesting

/// A fresh store in its own temporary folder.
struct StoreFixture {
    let folder: TemporaryDirectory
    let store: Store

    init() throws {
        folder = try TemporaryDirectory()
        store = try Store(path: folder.appending("store.sqlite"), createIfMissing: true)
    }

    var path: String { store.path }

    /// The queue entries, oldest first, as (table, record, operation, priority, status), the
    /// capture log folded in first (as the engine does before it reads the queue).
    func queue() throws -> [QueueEntry] {
        try store.write { db in
            try Outbox(db).fold()
            return try Row.fetchAll(db, sql: "SELECT * FROM sync_queue ORDER BY id").map {
                QueueEntry(
                    table: $0["table_name"],
                    record: $0["record_id"],
                    operation: $0["operation"],
                    priority: $0["priority"],
                    status: $0["status"],
                    hlc: $0["hlc"]
                )
            }
        }
    }

    func snapshot() throws -> [String: [String]] { try StoreSnapshot.take(path) }
}

struct QueueEntry: Equatable, Sendable {
    var table: String
    var record: String
    var operation: String
    var priority: Int
    var status: String
    var hlc: Int64
}
