import PostgresNIO

/// The statements a PostgreSQL hub runs for nearly every request — the token check, a waiting
/// pull's check and the whole-log pull — as prepared statements: PostgreSQL parses and plans
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

    /// An unscoped node's pull of the whole log (no table filter), as
    /// ``PostgresHubStorage/pullStatement(node:cursor:limit:maximumBytes:table:)`` writes it: one
    /// text for every such pull. (A scoped pull's text lists the node's buckets, so it varies.)
    struct WholeLogPull: PostgresPreparedStatement {
        static let name = "outpost_pull_v1"
        static let sql = PostgresHubStorage.pullStatement(
            node: AuthenticatedNode(id: "", tenantID: "", tokenHash: ""),
            cursor: 0,
            limit: 1,
            maximumBytes: 1,
            table: nil
        ).sql
        typealias Row = PostgresHubStorage.PagedRowColumns

        var query: PostgresQuery

        /// The prepared form of `query` when its text is this statement's (checked, so a change
        /// to the query's builder can never send a text under this name).
        init?(_ query: PostgresQuery) {
            guard query.sql == Self.sql else { return nil }
            self.query = query
        }

        func makeBindings() throws -> PostgresBindings { query.binds }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
