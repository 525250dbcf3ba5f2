import Foundation
import HTTPTypes
import OutpostCore
import OutpostProtocol
import Synchronization

/// One node's view of its tenant's scopes: the buckets it receives and the changes it may push.
package struct NodeScope: Sendable, Equatable {
    let rules: ScopeRules
    let nodeID: String
    /// The buckets the node receives, sorted; always the everyone bucket first.
    let buckets: [String]

    init(rules: ScopeRules, nodeID: String, nodeName: String, attributes: NodeAttributes) {
        self.rules = rules
        self.nodeID = nodeID
        var values = attributes.values
        values["id"] = nodeID
        values["name"] = nodeName
        var buckets: Set<String> = [ScopeRules.everyone]
        for (table, scope) in rules.tables {
            switch scope.received {
            case .all, .none: continue
            case .own: buckets.insert("\(table)@\(nodeID)")
            case .equals(_, let attribute):
                if let value = values[attribute] { buckets.insert("\(table):\(value)") }
            case .oneOf(_, let attribute):
                for value in (values[attribute] ?? "").split(separator: ",") {
                    let trimmed = value.trimmingCharacters(in: .whitespaces)
                    if !trimmed.isEmpty { buckets.insert("\(table):\(trimmed)") }
                }
            }
        }
        self.buckets = buckets.sorted()
    }

    func receives(_ bucket: String) -> Bool { buckets.contains(bucket) }

    /// Whether a row of `table` in `bucket`, last written by `origin`, is the node's to see: in
    /// a bucket it receives, or, in an upload-only table, a row it wrote (what `outpost verify`
    /// compares its own copy with).
    func sees(table: String, bucket: String, origin: String) -> Bool {
        guard let scope = rules.tables[table] else { return true }
        return scope.write == .uploadOnly ? origin == nodeID : receives(bucket)
    }

    /// The scope of a node as authentication reads it: nil when its tenant has no scopes (or
    /// scopes naming no table), so unscoped tenants take the unscoped paths.
    ///
    /// - Throws: ``HubError`` 503 when the tenant's stored scopes do not read (written by a
    ///   newer hub, or damaged): its nodes are refused rather than given every row.
    static func make(scopes: String?, nodeID: String, nodeName: String, attributes: String?) throws(HubError)
        -> NodeScope?
    {
        guard let scopes else { return nil }
        guard let rules = parsedRules(scopes) else {
            throw HubError(
                .serviceUnavailable,
                code: "scopes_unreadable",
                "This hub cannot read the scopes of the node's tenant (set by a newer hub?); it serves none of "
                    + "the tenant's nodes until they are set again with a scopes file it reads."
            )
        }
        guard !rules.tables.isEmpty else { return nil }
        return NodeScope(
            rules: rules,
            nodeID: nodeID,
            nodeName: nodeName,
            attributes: NodeAttributes(stored: attributes)
        )
    }

    /// Scopes texts already parsed: every request authenticates, and a tenant's scopes change
    /// rarely. Bounded: emptied when it holds more texts than a hub has tenants, in practice.
    private static let parsed = Mutex<[String: ScopeRules]>([:])

    private static func parsedRules(_ text: String) -> ScopeRules? {
        if let known = parsed.withLock({ $0[text] }) { return known }
        guard let rules = try? ScopeRules(parsing: text) else { return nil }
        parsed.withLock {
            if $0.count >= 1024 { $0.removeAll() }
            $0[text] = rules
        }
        return rules
    }

    /// Why the node may not change the hub's row `existing` (nil: no such row) at all, or nil
    /// when it may: asked before anything else, so nothing about a row it cannot see is told.
    func refusal(touching existing: StoredRow?, by change: PushedChange) -> ChangeResult.Refusal? {
        guard let scope = rules.tables[change.table] else { return nil }
        let live = existing.flatMap { $0.deleted ? nil : $0 }
        switch scope.write {
        case .readOnly:
            return Self.outOfScope("The table \(change.table) is read-only for this node.")
        case .uploadOnly:
            guard let live, live.origin != nodeID else { return nil }
            return Self.outOfScope(
                "\(change.table)/\(change.key) was written by another node; "
                    + "the table is upload-only for this node, which may change only its own rows."
            )
        case .readWrite:
            // A row the node can see may be edited, deleted, or handed out of its scope.
            guard let live, !receives(live.bucket) else { return nil }
            return Self.outOfScope("\(change.table)/\(change.key) is outside this node's scope.")
        }
    }

    /// Why the node may not create a row in `bucket`, or nil when it may.
    func refusal(creating change: PushedChange, in bucket: String) -> ChangeResult.Refusal? {
        guard let scope = rules.tables[change.table], scope.write == .readWrite, change.operation == .upsert,
            !receives(bucket)
        else { return nil }
        return Self.outOfScope(
            "A new \(change.table) row \(change.key) would be outside this node's scope ("
                + scope.rows.summary + ")."
        )
    }

    static func outOfScope(_ reason: String) -> ChangeResult.Refusal {
        ChangeResult.Refusal(code: ProtocolErrorCode.outOfScope, reason: reason)
    }
}
