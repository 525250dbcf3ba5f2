import Logging
public import OutpostCore
public import OutpostMerge
public import OutpostStore
import Synchronization

/// The tenant's conflict rules on a node: fetched from the hub, kept in the store for merging
/// offline, and put in force over the node's own (``TenantRules``).
extension SyncEngine {
    /// The setting that keeps the tenant's conflict rules (their text) between syncs, so a node
    /// offline merges by the last rules it had.
    package static let tenantRulesSetting = "hub_tenant_rules"

    /// The reconciler for the node's rules under the tenant's (their text; nil or unreadable:
    /// the node's own alone).
    package static func reconciler(local: ConflictResolver, tenantRules text: String?, nodeID: String) -> Reconciler {
        guard let text, let tenant = try? TenantRules(parsing: text) else {
            return Reconciler(resolver: local, nodeID: nodeID)
        }
        var resolver = local
        resolver.configuration = tenant.over(local.configuration)
        return Reconciler(resolver: resolver, nodeID: nodeID)
    }

    /// ``refreshTenantRules()`` at most once a minute, for `outpost run`, which syncs all the time.
    public func refreshTenantRulesIfDue() async {
        let now = ContinuousClock.now
        let due = lastRulesCheck.withLock { last in
            guard last.map({ now - $0 >= .seconds(60) }) ?? true else { return false }
            last = now
            return true
        }
        if due { await refreshTenantRules() }
    }

    /// Fetches the tenant's conflict rules and puts them in force when they changed. Best
    /// effort: a hub that is away or older keeps the last rules in force.
    public func refreshTenantRules() async {
        let text: String?
        do {
            text = try await client.rules().value
        } catch {
            return
        }
        let cached: String?
        do {
            cached = try await store.read { db in try Store.setting(Self.tenantRulesSetting, in: db) }
        } catch {
            return
        }
        guard cached != text else { return }
        try? await store.write { db in
            if let text {
                try Store.setSetting(Self.tenantRulesSetting, to: text, in: db)
            } else {
                try Store.removeSetting(Self.tenantRulesSetting, in: db)
            }
        }
        let replaced = Self.reconciler(local: localResolver, tenantRules: text, nodeID: store.nodeID)
        reconcilerInForce.withLock { $0 = replaced }
        logger.info(
            "The tenant's conflict rules changed",
            metadata: ["sync.tenant_rules": "\(text == nil ? "none" : "set")"]
        )
    }
}

extension Store {
    /// The tenant's conflict rules as the last sync brought them (the text of a rules file),
    /// or nil when the tenant has none or no sync has fetched them.
    public func tenantRules() throws(OutpostError) -> String? {
        try read { db in try Store.setting(SyncEngine.tenantRulesSetting, in: db) }
    }
}
