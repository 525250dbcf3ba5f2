/// What an operator's change (a node's attributes, a tenant's scopes) means for one node: the
/// buckets it stops receiving and those it starts receiving. The hub then queues, for that node
/// alone, the rows of the first as leaving and those of the second as arriving, at new places
/// in the change log: its next pull adds and removes what changed, and nothing else.
struct ScopeChange: Sendable, Equatable {
    var nodeID: String
    var lost: [String]
    var gained: [String]

    /// The pseudo-bucket of one node's own deliveries in `outpost_scope_exits`: rows entering
    /// (`destination` ``entering``) or leaving (``leaving``) its scope because its scope changed.
    static func nodeBucket(_ nodeID: String) -> String { "@\(nodeID)" }
    static let entering = "+"
    static let leaving = "-"

    /// The change for a node whose scope goes from `old` to `new` (nil: the tenant has no
    /// scopes, so the node receives the everyone bucket, which then holds every row).
    init?(nodeID: String, old: NodeScope?, new: NodeScope?) {
        let before = Set(old?.buckets ?? [ScopeRules.everyone])
        let after = Set(new?.buckets ?? [ScopeRules.everyone])
        guard before != after else { return nil }
        self.nodeID = nodeID
        lost = before.subtracting(after).sorted()
        gained = after.subtracting(before).sorted()
    }

    /// A node's buckets before and after a tenant's scopes change.
    struct NodeBuckets: Sendable {
        var nodeID: String
        var before: Set<String>
        var after: Set<String>
    }

    /// The buckets of a tenant's nodes when its scopes go from `old` to `new`.
    static func buckets(
        of nodes: [(id: String, name: String, attributes: NodeAttributes)],
        from old: ScopeRules,
        to new: ScopeRules
    ) -> [NodeBuckets] {
        func buckets(_ rules: ScopeRules, _ node: (id: String, name: String, attributes: NodeAttributes)) -> Set<String>
        {
            guard !rules.tables.isEmpty else { return [ScopeRules.everyone] }
            return Set(
                NodeScope(rules: rules, nodeID: node.id, nodeName: node.name, attributes: node.attributes).buckets
            )
        }
        return nodes.map { NodeBuckets(nodeID: $0.id, before: buckets(old, $0), after: buckets(new, $0)) }
    }

    init?(_ node: NodeBuckets) {
        guard node.before != node.after else { return nil }
        nodeID = node.nodeID
        lost = node.before.subtracting(node.after).sorted()
        gained = node.after.subtracting(node.before).sorted()
    }

    /// The rows each node must drop because the scopes moved them (`moves`: each row in its new
    /// bucket, with the bucket it left): those it could see before, in a bucket it still
    /// receives (a bucket it stops receiving is dropped whole), that went where it cannot see.
    /// Queued for that node alone, so a node that never had a row never hears of it.
    static func exits(
        for nodes: [NodeBuckets],
        moves: [(row: StoredRow, from: String)],
        sequence: inout Int64
    ) -> [ScopeExit] {
        var byPair: [String: [String: [StoredRow]]] = [:]
        for move in moves where !move.row.deleted {
            byPair[move.from, default: [:]][move.row.bucket, default: []].append(move.row)
        }
        var exits: [ScopeExit] = []
        for node in nodes {
            for (from, destinations) in byPair where node.before.contains(from) && node.after.contains(from) {
                for (to, rows) in destinations where !node.after.contains(to) {
                    for row in rows {
                        sequence += 1
                        exits.append(
                            ScopeExit(
                                bucket: nodeBucket(node.nodeID),
                                destination: leaving,
                                table: row.table,
                                key: row.key,
                                version: row.version,
                                hlc: row.hlc,
                                origin: row.origin,
                                sequence: sequence
                            )
                        )
                    }
                }
            }
        }
        return exits
    }
}
