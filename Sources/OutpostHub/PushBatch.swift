package import OutpostCore
package import OutpostProtocol

/// A push as the hub reads it off the wire: the envelope decoded, each row's columns kept as the
/// JSON text the node sent.
///
/// Rows reach the database as that text, so the hub never builds a tree of values for a row only
/// to encode it again. The few changes that need values (partial rows merged into the hub's row)
/// parse their text when the plan needs it (``RowData/value()``).
package struct PushBatch: Sendable {
    var batchID: String
    var changes: [PushedChange]
    var schemas: [String: [String]] = [:]
    /// Declared types and primary keys of the batch's tables (see ``TableDeclaration``).
    var declarations: [String: TableDeclaration] = [:]

    package init(
        batchID: String,
        changes: [PushedChange],
        schemas: [String: [String]] = [:],
        declarations: [String: TableDeclaration] = [:]
    ) {
        self.batchID = batchID
        self.changes = changes
        self.schemas = schemas
        self.declarations = declarations
    }
}

extension PushBatch {
    /// The batch a node would send as `request` (its rows encoded as text).
    init(_ request: PushRequest) {
        self.init(
            batchID: request.batchID,
            changes: request.changes.map(PushedChange.init),
            schemas: request.schemas,
            declarations: request.declarations
        )
    }
}

/// One change of a ``PushBatch``: a ``Change`` whose columns are still the text sent.
package struct PushedChange: Sendable, Equatable {
    var id: String
    var table: String
    var key: String
    var operation: ChangeOperation
    var baseVersion: Int64
    var data: RowData?
    var partial: Bool
    var hlc: Int64
    /// The node that made the change, when it is not the node pushing it: a site hub's relay
    /// applying its upstream's rows in process, or pushing its nodes' changes up. From the wire
    /// it is honoured only from a node the hub marks as a relay (the push route refuses it from
    /// any other), so no node can write under another's name.
    var origin: String? = nil
    /// The change's push priority as the node rated it (1…10; nil for the default): kept with
    /// the row for a site hub's relay, which sends its nodes' changes up in that order.
    var priority: Int? = nil
}

extension PushedChange {
    /// A change made by `origin` (its stamp `hlc`) that a site hub's relay applies for it.
    package init(relaying change: Change, origin: String) {
        self.init(change)
        self.origin = origin
    }

    init(_ change: Change) {
        self.init(
            id: change.id,
            table: change.table,
            key: change.key,
            operation: change.operation,
            baseVersion: change.baseVersion,
            data: change.data.map(RowData.init(value:)),
            partial: change.partial,
            hlc: change.hlc,
            origin: change.origin,
            priority: change.priority
        )
    }
}
