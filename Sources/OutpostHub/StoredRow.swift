import OutpostCore
import OutpostProtocol

/// A row as a storage backend holds it, with the id of the change that made this version.
struct StoredRow: Sendable, Equatable {
    var table: String
    var key: String
    var version: Int64
    var data: JSONValue?
    var deleted: Bool
    var hlc: Int64
    var origin: String
    var changeID: String
    var sequence: Int64

    var hubRow: HubRow {
        HubRow(
            table: table,
            key: key,
            version: version,
            data: data,
            deleted: deleted,
            hlc: hlc,
            origin: origin,
            sequence: sequence
        )
    }
}

/// Identifies a row within a tenant.
struct RowKey: Hashable, Sendable {
    var table: String
    var key: String
}
