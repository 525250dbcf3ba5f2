import Foundation
package import OutpostCore
package import OutpostHub
package import OutpostProtocol
import Synchronization

/// The site hub's side of the relay: the tenant it relays, read and written through the hub's
/// own storage as a node of it (`upstream-relay`, created on the first start, with no scope),
/// so the site's nodes see the upstream's rows exactly as they see each other's.
package struct SiteTenant: Sendable {
    package let storage: any HubStorage
    package let name: String
    package let tenantID: String
    private let relayNode: AuthenticatedNode

    private static let batchIDs = Mutex(UUIDv7())

    /// The name of the node the relay is at its site hub.
    package static let relayNodeName = "upstream-relay"

    /// The tenant a relay serves: the one named, or the hub's only one.
    ///
    /// - Throws: ``OutpostError`` `.failedPrecondition` when the tenant is missing or, with no
    ///   name given, when the hub has none or several.
    package static func tenant(in storage: any HubStorage, named name: String?) async throws -> TenantInfo {
        let tenants = try await storage.tenants()
        if let name {
            guard let found = tenants.first(where: { $0.name == name }) else {
                throw OutpostError(
                    .failedPrecondition,
                    "This hub has no tenant '\(name)' to relay.",
                    remedy: .createTenant(name: name)
                )
            }
            return found
        }
        guard tenants.count == 1, let only = tenants.first else {
            throw OutpostError(
                .failedPrecondition,
                tenants.isEmpty
                    ? "This hub has no tenant to relay: it needs the upstream's tenant, by the same name."
                    : "This hub has \(tenants.count) tenants and relays one, which was not named.",
                remedy: tenants.isEmpty ? .createTenant(name: "NAME") : .nameRelayTenant
            )
        }
        return only
    }

    /// Finds the tenant (``tenant(in:named:)``) and the relay's node in it, making the node the
    /// first time.
    package static func open(storage: any HubStorage, name: String?, ledger: RelayLedger) async throws -> SiteTenant {
        let tenant = try await tenant(in: storage, named: name)
        let tokenSetting = "relay_token.\(tenant.id)"
        var node: AuthenticatedNode?
        if let token = try ledger.setting(tokenSetting) {
            node = try await storage.authenticate(tokenHash: NodeToken.hash(token))
        }
        if node == nil {
            let token = NodeToken.generate()
            // A relay node from an earlier ledger (deleted or restored) gets a new name.
            let existing = Set(try await storage.nodes(tenant: tenant.name).map(\.name))
            var nodeName = relayNodeName
            var suffix = 2
            while existing.contains(nodeName) {
                nodeName = "\(relayNodeName)-\(suffix)"
                suffix += 1
            }
            _ = try await storage.addNode(tenant: tenant.name, name: nodeName, tokenHash: NodeToken.hash(token))
            try ledger.setSetting(tokenSetting, to: token)
            node = try await storage.authenticate(tokenHash: NodeToken.hash(token))
        }
        guard var node else {
            throw OutpostError(.failedPrecondition, "The relay's node in tenant '\(tenant.name)' was revoked.")
        }
        // The relay carries every row of the tenant, whatever the scopes say of its nodes.
        node.scope = nil
        return SiteTenant(storage: storage, name: tenant.name, tenantID: tenant.id, relayNode: node)
    }

    /// The site's rows changed after `cursor` (the relay's own writes included; the ledger
    /// tells them apart), each with the push priority its writer named (nil: none), recording
    /// `cursor` as what the relay holds, and the tenant's epoch (a restored site hub has a new one).
    package func changes(after cursor: Int64, limit: Int) async throws -> (
        rows: [(entry: RelayEntry, priority: Int?)], cursor: Int64, more: Bool, epoch: Int64
    ) {
        let page = try await storage.pull(
            for: relayNode,
            after: cursor,
            limit: limit,
            maximumBytes: 8 << 20,
            table: nil
        )
        let rows = page.rows.filter { !$0.left }.map { row in
            let entry = RelayEntry(
                table: row.table,
                key: row.key,
                siteVersion: row.version,
                data: row.deleted ? nil : row.data,
                deleted: row.deleted,
                hlc: row.hlc,
                origin: row.origin,
                changeID: row.changeID
            )
            return (entry, row.priority)
        }
        return (rows, page.cursor, page.more, page.epoch)
    }

    /// Writes `changes` at the site as the hub applies any node's push (each checked against
    /// the site's version it names), keeping each one's writer and stamp.
    ///
    /// - Returns: one result per change, in order: applied with the site's new version, or a
    ///   conflict when a site node wrote the row since.
    package func apply(
        _ changes: [(change: Change, origin: String)],
        declarations: [String: TableDeclaration]
    ) async throws -> [ChangeResult] {
        guard !changes.isEmpty else { return [] }
        var schemas: [String: Set<String>] = [:]
        for (change, _) in changes {
            if case .object(let members)? = change.data { schemas[change.table, default: []].formUnion(members.keys) }
        }
        let tables = Set(changes.map(\.change.table))
        let batch = PushBatch(
            batchID: Self.batchIDs.withLock { $0.next() },
            changes: changes.map { PushedChange(relaying: $0.change, origin: $0.origin) },
            schemas: schemas.mapValues { $0.sorted() },
            declarations: declarations.filter { tables.contains($0.key) }
        )
        let outcome = try await storage.push(batch, from: relayNode, validator: BatchValidator(limits: HubLimits()))
        return try PushResponse(json: JSONValue(parsing: outcome.body), changes: changes.map(\.change)).results
    }

    /// The tenant's table declarations at the site.
    package func declarations() async throws -> [String: TableDeclaration] {
        try await storage.declarations(tenantID: tenantID)
    }
}
