import OutpostCore
import OutpostProtocol
import Testing

@testable import OutpostHub

@Suite("Push plan (pure)")
struct PushPlanTests {
    static func stored(_ key: String, version: Int64, change: String = "old", deleted: Bool = false) -> StoredRow {
        StoredRow(
            table: "agents",
            key: key,
            version: version,
            data: deleted ? nil : #"{"name": "hub", "fps": 1}"#,
            deleted: deleted,
            hlc: 1,
            origin: "other",
            changeID: change,
            sequence: 10
        )
    }

    static func current(_ rows: StoredRow...) -> [RowKey: StoredRow] {
        Dictionary(uniqueKeysWithValues: rows.map { (RowKey(table: $0.table, key: $0.key), $0) })
    }

    @Test("matching base applies with the next version and sequence; stale base answers conflict")
    func appliesAndConflicts() throws {
        let plan = try PushPlan(
            changes: [
                upsert("new", ["name": "n"], id: "c1"),
                upsert("a", ["name": "x"], base: 2, id: "c2"),
                upsert("b", ["name": "y"], base: 1, id: "c3"),
            ].map(PushedChange.init),
            sequences: PushPlan.sequences(after: 40, count: 3),
            current: Self.current(Self.stored("a", version: 2), Self.stored("b", version: 3)),
            node: "me"
        )
        #expect(plan.results.map(\.status) == [.applied, .applied, .conflict])
        #expect(plan.results.map(\.version) == [1, 3, 3])
        #expect(plan.results.map(\.sequence) == [41, 42, nil])
        #expect(plan.results[2].current?.data == ["name": "hub", "fps": 1])
        #expect(plan.writes.map(\.key) == ["new", "a"])
        #expect(plan.writes.allSatisfy { $0.origin == "me" })
        #expect(plan.writes.map(\.sequence) == [41, 42])
    }

    @Test("after tombstones were collected, a row the hub does not hold starts above every collected version")
    func firstVersionAfterCollection() throws {
        let plan = try PushPlan(
            changes: [upsert("gone", ["name": "again"], id: "c1"), upsert("a", ["name": "x"], base: 2, id: "c2")]
                .map(PushedChange.init),
            sequences: PushPlan.sequences(after: 90, count: 2),
            current: Self.current(Self.stored("a", version: 2)),
            node: "me",
            firstVersion: PushPlan.firstVersion(tombstoneFloor: 57)
        )
        #expect(plan.results.map(\.version) == [58, 3], "a new row above the floor; an existing row counts on")
    }

    @Test("a change already applied (same change id) is answered as before and written again never")
    func replayedChange() throws {
        let plan = try PushPlan(
            changes: [PushedChange(upsert("a", ["name": "x"], base: 1, id: "same"))],
            sequences: [11],
            current: Self.current(Self.stored("a", version: 2, change: "same")),
            node: "me"
        )
        #expect(plan.writes.isEmpty)
        #expect(plan.results == [ChangeResult(changeID: "same", status: .applied, version: 2, sequence: 10)])
    }

    @Test("partial changes merge into the hub's columns; a future base refuses the whole batch")
    func partialAndFuture() throws {
        let plan = try PushPlan(
            changes: [PushedChange(upsert("a", ["fps": 5], base: 2, partial: true))],
            sequences: [1],
            current: Self.current(Self.stored("a", version: 2)),
            node: "me"
        )
        #expect(try JSONValue(parsing: plan.writes[0].data ?? "") == ["name": "hub", "fps": 5])
        #expect(throws: HubError.self) {
            try PushPlan(
                changes: [upsert("b", ["n": 1]), upsert("a", ["n": 1], base: 3)].map(PushedChange.init),
                sequences: [1, 2],
                current: Self.current(Self.stored("a", version: 2)),
                node: "me"
            )
        }
    }

    @Test("deletes write tombstones; deleting what is gone writes nothing")
    func deletes() throws {
        let plan = try PushPlan(
            changes: [delete("a", base: 2), delete("gone", base: 3), delete("never", base: 0)].map(PushedChange.init),
            sequences: [6, 7, 8],
            current: Self.current(Self.stored("a", version: 2), Self.stored("gone", version: 3, deleted: true)),
            node: "me"
        )
        #expect(plan.writes.map(\.key) == ["a"])
        #expect(plan.writes[0].deleted && plan.writes[0].data == nil && plan.writes[0].version == 3)
        #expect(plan.results.map(\.status) == [.applied, .applied, .applied])
    }
}
