import PostgresNIO

/// The statements a PostgreSQL hub runs for nearly every request — the token check, a waiting
/// pull's check and the pull — as prepared statements: PostgreSQL parses and plans
/// each once per connection instead of once per request (most of a pull's server time at the
/// head of the log, BENCHMARKS.md "A fleet on one hub").
///
/// Prepared statements are named per connection, which a pooler in transaction mode (PgBouncer
/// before 1.21, or without `max_prepared_statements`) does not keep; `?prepared_statements=off`
/// on the database URL runs the same text unprepared (``PostgresHubStorage/preparesStatements``).
enum PostgresHotStatements {
    /// A node's columns as the token check and the wait check read them: id, tenant, client
    /// certificate, whether the tenant requires one, name, attributes, the tenant's scopes,
    /// whether the node relays.
    typealias NodeColumns = (String, String, String?, Bool, String, String?, String?, Bool)

    /// The token check: the live node holding a token (by its hash).
    struct Authenticate: PostgresPreparedStatement {
        static let name = "outpost_authenticate_v1"
        static let sql = """
            SELECT n.id, n.tenant_id, n.client_certificate, t.requires_client_certificate, n.name, n.attributes,
                   t.scopes, n.relays
            FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id
            WHERE n.token_hash = $1 AND n.revoked_at IS NULL
            """
        typealias Row = NodeColumns

        var tokenHash: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(tokenHash)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// A waiting pull's check: the tenant's sequence, whether the node was revoked or its token
    /// rotated, and the node as it stands.
    struct WaitState: PostgresPreparedStatement {
        static let name = "outpost_wait_state_v1"
        static let sql = """
            SELECT t.last_seq, n.revoked_at IS NOT NULL OR n.token_hash <> $1,
                   n.id, n.tenant_id, n.client_certificate, t.requires_client_certificate, n.name, n.attributes,
                   t.scopes, n.relays
            FROM outpost_nodes n JOIN outpost_tenants t ON t.id = n.tenant_id WHERE n.id = $2
            """
        typealias Row = (Int64, Bool, String, String, String?, Bool, String, String?, String?, Bool)

        var tokenHash: String
        var nodeID: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(tokenHash)
            bindings.append(nodeID)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// A pull as ``PostgresHubStorage/pullStatement(node:cursor:limit:maximumBytes:table:)``
    /// writes it. Its text depends only on the pull's shape — whether the node is scoped and
    /// whether the pull names a table — because everything else, the scoped node's buckets
    /// included, is bound; so each shape is one prepared statement.
    struct Pull<Shape: PullShape>: PostgresPreparedStatement {
        static var name: String { Shape.name }
        static var sql: String { Shape.sql }
        typealias Row = PostgresHubStorage.PagedRowColumns

        var query: PostgresQuery

        /// The prepared form of `query` when its text is this shape's (checked, so a change to
        /// the query's builder can never send a text under this name).
        init?(_ query: PostgresQuery) {
            guard query.sql == Shape.sql else { return nil }
            self.query = query
        }

        func makeBindings() throws -> PostgresBindings { query.binds }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// One shape of pull: its statement's name and text, written once from a sample pull.
    protocol PullShape {
        static var name: String { get }
        static var sql: String { get }
    }

    /// An unscoped node's pull of the whole log.
    enum WholeLog: PullShape {
        static let name = "outpost_pull_v1"
        static let sql = sample(scoped: false, table: nil)
    }

    /// An unscoped node's pull of one table (`?table=`).
    enum OneTable: PullShape {
        static let name = "outpost_pull_table_v1"
        static let sql = sample(scoped: false, table: "t")
    }

    /// A scoped node's pull of what its scope shows.
    enum Scoped: PullShape {
        static let name = "outpost_pull_scoped_v1"
        static let sql = sample(scoped: true, table: nil)
    }

    /// A scoped node's pull of one table.
    enum ScopedOneTable: PullShape {
        static let name = "outpost_pull_scoped_table_v1"
        static let sql = sample(scoped: true, table: "t")
    }

    /// Every shape of pull, the most common first.
    static var pullShapes: [any PullShape.Type] { [WholeLog.self, Scoped.self, OneTable.self, ScopedOneTable.self] }

    private static func sample(scoped: Bool, table: String?) -> String {
        var node = AuthenticatedNode(id: "", tenantID: "", tokenHash: "")
        if scoped {
            node.scope = NodeScope(rules: ScopeRules(), nodeID: "", nodeName: "", attributes: NodeAttributes())
        }
        return PostgresHubStorage.pullStatement(node: node, cursor: 0, limit: 1, maximumBytes: 1, table: table).sql
    }
}
