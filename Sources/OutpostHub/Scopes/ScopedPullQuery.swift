/// The rows a pull reads, as one SQL statement for either backend.
///
/// Without scopes it is the tenant's change log after the cursor. With scopes it is the union of
/// one range per bucket the node receives, each read in sequence order from the
/// `(tenant_id, bucket, seq)` index, the exits of rows that left those buckets, and the rows
/// queued for this node alone when its scope changed (``ScopeChange``): a node whose scope holds
/// 1 % of a tenant reads its 1 %, not the tenant. Every part is limited, so the union holds at
/// most `limit` rows per part before the final sort and limit.
struct ScopedPullQuery {
    enum Argument: Sendable, Equatable {
        case text(String)
        case integer(Int64)
        case texts([String])
    }

    /// How the backend writes a placeholder: `?` (SQLite) or `$N` (PostgreSQL).
    enum Placeholders {
        case questionMarks
        case numbered
    }

    private(set) var sql = ""
    private(set) var arguments: [Argument] = []
    private let placeholders: Placeholders

    /// More buckets than this are read with one `IN` list and a sort instead of a range each
    /// (SQLite allows 500 terms in a compound select).
    static let maximumRanges = 64

    /// The columns every pull selects, in order (`data` as text); exits fill them as tombstones.
    private var rowColumns: String {
        let data = placeholders == .questionMarks ? "data" : "data::text AS data"
        return "table_name, record_id, version, \(data), deleted, hlc, origin_node, change_id, seq, bucket, priority"
    }

    init(
        node: AuthenticatedNode,
        cursor: Int64,
        limit: Int,
        table: String?,
        placeholders: Placeholders = .questionMarks
    ) {
        self.placeholders = placeholders
        let limit = Int64(limit)
        guard let scope = node.scope else {
            sql = "SELECT \(rowColumns) FROM outpost_records WHERE tenant_id = \(bind(.text(node.tenantID))) "
            sql +=
                "AND seq > \(bind(.integer(cursor)))\(tableCondition(table)) ORDER BY seq LIMIT \(bind(.integer(limit)))"
            return
        }
        var parts: [String] = []
        // PostgreSQL gets the node's buckets as one array, bound once, so the statement's text is
        // the same for every node of one shape and can be prepared (PostgresHotStatements).
        bucketArray = placeholders == .numbered ? bind(.texts(scope.buckets)) + "::text[]" : nil
        if let bucketArray {
            // PostgreSQL: one range per bucket through a lateral join, so the planner sees the
            // bucket as unknown and reads the bucket index. Given each bucket as a constant, it
            // estimates from statistics over all tenants, where the everyone bucket is the most
            // common value by far, and would walk the tenant's whole log by sequence instead.
            parts.append(
                "SELECT r.* FROM unnest(\(bucketArray)) AS b(bucket) CROSS JOIN LATERAL "
                    + "(SELECT \(rowColumns) FROM outpost_records WHERE tenant_id = \(bind(.text(node.tenantID))) "
                    + "AND bucket = b.bucket AND seq > \(bind(.integer(cursor)))\(tableCondition(table)) "
                    + "ORDER BY seq LIMIT \(bind(.integer(limit)))) r"
            )
        } else if scope.buckets.count <= Self.maximumRanges {
            for bucket in scope.buckets {
                parts.append(
                    "SELECT * FROM (SELECT \(rowColumns) FROM outpost_records "
                        + "WHERE tenant_id = \(bind(.text(node.tenantID))) AND bucket = \(bind(.text(bucket))) "
                        + "AND seq > \(bind(.integer(cursor)))\(tableCondition(table)) "
                        + "ORDER BY seq LIMIT \(bind(.integer(limit)))) r\(parts.count)"
                )
            }
        } else {
            parts.append(
                "SELECT * FROM (SELECT \(rowColumns) FROM outpost_records "
                    + "WHERE tenant_id = \(bind(.text(node.tenantID))) AND bucket IN (\(list(scope.buckets))) "
                    + "AND seq > \(bind(.integer(cursor)))\(tableCondition(table)) "
                    + "ORDER BY seq LIMIT \(bind(.integer(limit)))) r\(parts.count)"
            )
        }
        // Rows that left a bucket the node receives for one it does not: tombstones to it.
        parts.append(
            "SELECT * FROM (SELECT table_name, record_id, version, \(noData) AS data, \(trueValue) AS deleted, hlc, "
                + "origin_node, '' AS change_id, seq, bucket, \(noPriority) AS priority FROM outpost_scope_exits "
                + "WHERE tenant_id = \(bind(.text(node.tenantID))) AND \(among(scope.buckets, "bucket")) "
                + "AND \(among(scope.buckets, "destination", negated: true)) AND seq > \(bind(.integer(cursor)))"
                + "\(tableCondition(table)) ORDER BY seq LIMIT \(bind(.integer(limit)))) x"
        )
        // Rows leaving or entering this node's scope because its scope changed (ScopeChange).
        let own = ScopeChange.nodeBucket(scope.nodeID)
        parts.append(
            "SELECT * FROM (SELECT table_name, record_id, version, \(noData) AS data, \(trueValue) AS deleted, hlc, "
                + "origin_node, '' AS change_id, seq, bucket, \(noPriority) AS priority FROM outpost_scope_exits "
                + "WHERE tenant_id = \(bind(.text(node.tenantID))) AND bucket = \(bind(.text(own))) "
                + "AND destination = '\(ScopeChange.leaving)' AND seq > \(bind(.integer(cursor)))"
                + "\(tableCondition(table)) ORDER BY seq LIMIT \(bind(.integer(limit)))) o"
        )
        parts.append(
            "SELECT * FROM (SELECT r.table_name, r.record_id, r.version, \(placeholders == .questionMarks ? "r.data" : "r.data::text"), "
                + "r.deleted, r.hlc, r.origin_node, r.change_id, e.seq, r.bucket, r.priority "
                + "FROM outpost_scope_exits e JOIN outpost_records r ON r.tenant_id = e.tenant_id "
                + "AND r.table_name = e.table_name AND r.record_id = e.record_id "
                + "WHERE e.tenant_id = \(bind(.text(node.tenantID))) AND e.bucket = \(bind(.text(own))) "
                + "AND e.destination = '\(ScopeChange.entering)' AND e.seq > \(bind(.integer(cursor))) "
                + "AND \(among(scope.buckets, "r.bucket"))"
                + "\(tableCondition(table, alias: "e")) ORDER BY e.seq LIMIT \(bind(.integer(limit)))) i"
        )
        sql =
            "SELECT * FROM (\(parts.joined(separator: " UNION ALL "))) page ORDER BY seq LIMIT \(bind(.integer(limit)))"
    }

    /// PostgreSQL's placeholder for the node's buckets as one array, once bound.
    private var bucketArray: String?

    private var trueValue: String { placeholders == .questionMarks ? "1" : "true" }
    private var noData: String { placeholders == .questionMarks ? "NULL" : "NULL::text" }
    private var noPriority: String { placeholders == .questionMarks ? "NULL" : "NULL::integer" }

    /// Adds an argument and returns its placeholder (PostgreSQL's pull wraps the query in more).
    mutating func bind(_ argument: Argument) -> String {
        arguments.append(argument)
        return placeholders == .questionMarks ? "?" : "$\(arguments.count)"
    }

    private mutating func list(_ values: [String]) -> String {
        values.map { bind(.text($0)) }.joined(separator: ", ")
    }

    /// `column` is one of `buckets` (or, `negated`, none of them): an `IN` list on SQLite, the
    /// bound array on PostgreSQL.
    private mutating func among(_ buckets: [String], _ column: String, negated: Bool = false) -> String {
        if let bucketArray { return negated ? "\(column) <> ALL(\(bucketArray))" : "\(column) = ANY(\(bucketArray))" }
        return "\(column) \(negated ? "NOT IN" : "IN") (\(list(buckets)))"
    }

    private mutating func tableCondition(_ table: String?, alias: String? = nil) -> String {
        guard let table else { return "" }
        return " AND \(alias.map { "\($0)." } ?? "")table_name = \(bind(.text(table)))"
    }
}
