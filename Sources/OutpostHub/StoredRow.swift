import HTTPTypes
package import OutpostCore
package import OutpostProtocol

/// A row as a storage backend holds it, with the id of the change that made this version.
///
/// Its columns stay the JSON text the database holds (checked JSON from pushes on SQLite,
/// `jsonb`'s output on PostgreSQL): pulls and writes pass the text on as it is, and only a
/// merge or a conflict answer parses it.
package struct StoredRow: Sendable, Equatable {
    package var table: String
    package var key: String
    package var version: Int64
    /// The row's columns as JSON object text; `nil` for a tombstone.
    package var data: String?
    package var deleted: Bool
    package var hlc: Int64
    package var origin: String
    package var changeID: String
    package var sequence: Int64
    /// The scope bucket the row is in (``ScopeRules/bucket(table:data:origin:)``); for a
    /// tombstone, the bucket of the row it deleted, so the deletion reaches the nodes that had it.
    var bucket: String = ScopeRules.everyone
    /// The push priority the writing node gave the change (1…10), when it named one; a site
    /// hub's relay sends rows up in this order.
    package var priority: Int? = nil

    /// Whether this is a row leaving the node's scope (``ScopeExit/tombstone``), not a deletion:
    /// exits carry no change id, and every pushed change has one.
    package var left: Bool { changeID.isEmpty }

    /// The columns as values.
    func value() throws(HubError) -> JSONValue? {
        try Self.parse(data, table: table, key: key)
    }

    /// Stored column text as values.
    static func parse(_ data: String?, table: String, key: String) throws(HubError) -> JSONValue? {
        guard let data else { return nil }
        do {
            return try JSONValue(parsing: data)
        } catch {
            // Only the hub writes this text, so a failure here is a damaged database, not input.
            throw HubError(
                .internalServerError,
                code: "stored_row_unreadable",
                "The hub's copy of \(table)/\(key) is not valid JSON: \(error.message)"
            )
        }
    }

    /// The row as the wire shows it.
    package func hubRow() throws(HubError) -> HubRow {
        HubRow(
            table: table,
            key: key,
            version: version,
            data: try value(),
            deleted: deleted,
            hlc: hlc,
            origin: origin,
            sequence: sequence,
            left: left
        )
    }
}

/// Identifies a row within a tenant.
struct RowKey: Hashable, Sendable {
    var table: String
    var key: String
}
