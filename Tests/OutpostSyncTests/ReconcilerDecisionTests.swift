import OutpostCore
import OutpostMerge
import OutpostProtocol
import Testing

@testable import OutpostStore
@testable import OutpostSync

/// The reconciler's decision as a table: (base, local, remote, rules) → action, with no store
/// and no hub. Each row is one situation a pulled row can meet on a node.
@Suite("Reconciler decisions")
struct ReconcilerDecisionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var table = "items"
        var base: BaseRow? = ReconcilerDecisionTests.baseRow
        var local: Reconciler.LocalState
        var remoteVersion: Int64 = 2
        var remote: JSONValue?
        var strategy: Strategy = .auto
        var expected: String

        var testDescription: String { name }
    }

    static let baseRow = BaseRow(version: 1, data: ["id": "r", "a": 1, "b": 1], hlc: 100, origin: "hub")

    static func dirty(_ value: JSONValue?, held: Bool = false, stamp: Int64 = 300) -> Reconciler.LocalState {
        .dirty(value: value, held: held, stamp: stamp)
    }

    static let cases: [Case] = [
        Case(
            name: "a version the node knows",
            local: .clean,
            remoteVersion: 1,
            remote: ["id": "r", "a": 9, "b": 1],
            expected: "skip"
        ),
        Case(
            name: "an older version than the base",
            base: BaseRow(version: 3, data: ["id": "r", "a": 1, "b": 1], hlc: 100, origin: "hub"),
            local: dirty(["id": "r", "a": 2, "b": 1]),
            remote: ["id": "r", "a": 9, "b": 1],
            expected: "skip"
        ),
        Case(name: "no local work", local: .clean, remote: ["id": "r", "a": 9, "b": 1], expected: "apply"),
        Case(
            name: "a row the node never saw",
            base: nil,
            local: .clean,
            remote: ["id": "r", "a": 9],
            expected: "apply"
        ),
        Case(name: "a tombstone and no local work", local: .clean, remote: nil, expected: "apply"),
        Case(
            name: "the local edit already equals the hub's row",
            local: dirty(["id": "r", "a": 9, "b": 1]),
            remote: ["id": "r", "a": 9, "b": 1],
            expected: "settle"
        ),
        Case(
            name: "equal rows, but a person holds the row",
            local: dirty(["id": "r", "a": 9, "b": 1], held: true),
            remote: ["id": "r", "a": 9, "b": 1],
            expected: "park"
        ),
        Case(
            name: "different fields edited on each side merge and go up",
            local: dirty(["id": "r", "a": 2, "b": 1]),
            remote: ["id": "r", "a": 1, "b": 3],
            expected: #"push {"a":2,"b":3,"id":"r"}"#
        ),
        Case(
            name: "a local edit undone meets a remote edit: the hub's row",
            local: dirty(["id": "r", "a": 1, "b": 1]),
            remote: ["id": "r", "a": 1, "b": 3],
            expected: "takeRemote"
        ),
        Case(
            name: "local delete of an unchanged row wins over no remote change of it",
            local: dirty(nil),
            remote: ["id": "r", "a": 1, "b": 1],
            expected: "push null"
        ),
        Case(
            name: "a remote edit beats a local delete",
            local: dirty(nil),
            remote: ["id": "r", "a": 1, "b": 3],
            expected: "takeRemote"
        ),
        Case(
            name: "a local edit beats a remote delete",
            local: dirty(["id": "r", "a": 2, "b": 1]),
            remote: nil,
            expected: #"push {"a":2,"b":1,"id":"r"}"#
        ),
        Case(name: "deleted on both sides", local: dirty(nil), remote: nil, expected: "settle"),
        Case(
            name: "a held row with different edits stays parked",
            local: dirty(["id": "r", "a": 2, "b": 1], held: true),
            remote: ["id": "r", "a": 1, "b": 3],
            expected: "park"
        ),
        Case(
            name: "manual rules park what would merge",
            local: dirty(["id": "r", "a": 2, "b": 1]),
            remote: ["id": "r", "a": 1, "b": 3],
            strategy: .manual,
            expected: "park"
        ),
        Case(
            name: "manual rules park a delete against an edit",
            local: dirty(nil),
            remote: ["id": "r", "a": 1, "b": 3],
            strategy: .manual,
            expected: "park"
        ),
        Case(
            name: "remote-wins rules take the hub's row",
            local: dirty(["id": "r", "a": 2, "b": 1]),
            remote: ["id": "r", "a": 5, "b": 3],
            strategy: .remoteWins,
            expected: "takeRemote"
        ),
        Case(
            name: "two contents of one file are both kept",
            table: "files",
            base: BaseRow(
                version: 1,
                data: ["name": "r", "hash": "h0", "size": 1, "chunks": "[]"],
                hlc: 100,
                origin: "hub"
            ),
            local: dirty(["name": "r", "hash": "h1", "size": 2, "chunks": "[]"]),
            remote: ["name": "r", "hash": "h2", "size": 3, "chunks": "[]"],
            expected: "keepBoth local"
        ),
    ]

    @Test("each situation gets its action", arguments: cases)
    func decides(_ row: Case) {
        let key = row.table == "files" ? "name" : "id"
        let columns = row.table == "files" ? ["name", "hash", "size", "chunks"] : ["id", "a", "b"]
        let table = SyncedTable(
            schema: TableSchema(name: row.table, columns: columns, primaryKey: [key]),
            priority: 5,
            syncedColumns: columns,
            parents: [],
            rank: 0
        )
        let configuration = RulesConfiguration(entities: [row.table: EntityRules(strategy: row.strategy)])
        let reconciler = Reconciler(resolver: ConflictResolver(configuration: configuration), nodeID: "node")
        let remote = HubRow(
            table: row.table,
            key: "r",
            version: row.remoteVersion,
            data: row.remote,
            deleted: row.remote == nil,
            hlc: 200,
            origin: "other",
            sequence: 7
        )
        let action = reconciler.decide(remote, remoteValue: row.remote, base: row.base, local: row.local, table: table)
        #expect(Self.describe(action) == row.expected)
        // The same inputs decide the same way every time (every node merges alike).
        #expect(
            Self.describe(
                reconciler.decide(remote, remoteValue: row.remote, base: row.base, local: row.local, table: table)
            ) == row.expected
        )
    }

    static func describe(_ action: Reconciler.Action) -> String {
        switch action {
        case .skip: "skip"
        case .apply: "apply"
        case .settle: "settle"
        case .keepBoth(let clash): "keepBoth \(clash.winner)"
        case .takeRemote: "takeRemote"
        case .pushMerged(let value): "push \(value.map { $0.encoded() } ?? "null")"
        case .park: "park"
        }
    }
}
