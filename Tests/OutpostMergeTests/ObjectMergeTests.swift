import OutpostCore
import OutpostMerge
import Testing

@Suite("Three-way merge of objects")
struct ObjectMergeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let base: String?
        let local: String
        let remote: String
        let newer: Newer
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "different members changed on each side both survive",
            base: #"{"a": 1, "b": 1}"#,
            local: #"{"a": 2, "b": 1}"#,
            remote: #"{"a": 1, "b": 3}"#,
            newer: .remote,
            expected: #"{"a": 2, "b": 3}"#
        ),
        Case(
            name: "a member changed on one side only takes that side, even when it is older",
            base: #"{"a": 1, "b": 1}"#,
            local: #"{"a": 5, "b": 1}"#,
            remote: #"{"a": 1, "b": 1, "c": 0}"#,
            newer: .remote,
            expected: #"{"a": 5, "b": 1, "c": 0}"#
        ),
        Case(
            name: "the same change on both sides is kept once",
            base: #"{"a": 1}"#,
            local: #"{"a": 2}"#,
            remote: #"{"a": 2}"#,
            newer: .local,
            expected: #"{"a": 2}"#
        ),
        Case(
            name: "a collision goes to the newer remote write",
            base: #"{"a": 1}"#,
            local: #"{"a": 2}"#,
            remote: #"{"a": 3}"#,
            newer: .remote,
            expected: #"{"a": 3}"#
        ),
        Case(
            name: "a collision goes to the newer local write",
            base: #"{"a": 1}"#,
            local: #"{"a": 2}"#,
            remote: #"{"a": 3}"#,
            newer: .local,
            expected: #"{"a": 2}"#
        ),
        Case(
            name: "a member deleted on one side and untouched on the other is deleted",
            base: #"{"a": 1, "b": 2}"#,
            local: #"{"a": 1}"#,
            remote: #"{"a": 1, "b": 2, "c": 3}"#,
            newer: .remote,
            expected: #"{"a": 1, "c": 3}"#
        ),
        Case(
            name: "a deletion against a change goes to the newer write (the change)",
            base: #"{"a": 1, "b": 2}"#,
            local: #"{"a": 1}"#,
            remote: #"{"a": 1, "b": 9}"#,
            newer: .remote,
            expected: #"{"a": 1, "b": 9}"#
        ),
        Case(
            name: "a deletion against a change goes to the newer write (the deletion)",
            base: #"{"a": 1, "b": 2}"#,
            local: #"{"a": 1}"#,
            remote: #"{"a": 1, "b": 9}"#,
            newer: .local,
            expected: #"{"a": 1}"#
        ),
        Case(
            name: "nested objects merge member by member",
            base: #"{"config": {"retry": {"count": 3, "backoff": 100}, "model": "m1"}}"#,
            local: #"{"config": {"retry": {"count": 5, "backoff": 100}, "model": "m1"}}"#,
            remote: #"{"config": {"retry": {"count": 3, "backoff": 250}, "model": "m2"}}"#,
            newer: .local,
            expected: #"{"config": {"retry": {"count": 5, "backoff": 250}, "model": "m2"}}"#
        ),
        Case(
            name: "a type change (object vs number) goes to the newer write",
            base: #"{"limit": {"max": 1}}"#,
            local: #"{"limit": {"max": 2}}"#,
            remote: #"{"limit": 7}"#,
            newer: .remote,
            expected: #"{"limit": 7}"#
        ),
        Case(
            name: "a type change (string vs array) goes to the newer write",
            base: #"{"tags": "a"}"#,
            local: #"{"tags": ["a", "b"]}"#,
            remote: #"{"tags": "c"}"#,
            newer: .local,
            expected: #"{"tags": ["a", "b"]}"#
        ),
        Case(
            name: "integers and doubles are different values",
            base: #"{"t": 1}"#,
            local: #"{"t": 1.0}"#,
            remote: #"{"t": 1}"#,
            newer: .remote,
            expected: #"{"t": 1.0}"#
        ),
        Case(
            name: "members added on both sides with different values collide",
            base: #"{}"#,
            local: #"{"x": {"p": 1}}"#,
            remote: #"{"x": {"q": 2}}"#,
            newer: .remote,
            expected: #"{"x": {"p": 1, "q": 2}}"#
        ),
        Case(
            name: "null is a value, not a deletion",
            base: #"{"a": 1}"#,
            local: #"{"a": null}"#,
            remote: #"{"a": 1}"#,
            newer: .remote,
            expected: #"{"a": null}"#
        ),
    ]

    @Test("merges", arguments: cases)
    func merges(_ example: Case) {
        let input = conflict(base: example.base, local: example.local, remote: example.remote, newer: example.newer)
        let resolution = plainResolver().resolve(input)
        #expect(resolution.value == json(example.expected))
        #expect(resolution.strategy == .merge)
        #expect(plainResolver().resolve(input.swapped).value == json(example.expected))
    }

    @Test("reports one action per changed field, in path order, with the reason")
    func reportsActions() {
        let resolution = plainResolver().resolve(
            conflict(
                base: #"{"a": 1, "b": {"c": 1, "d": 1}, "e": 1}"#,
                local: #"{"a": 2, "b": {"c": 2, "d": 1}}"#,
                remote: #"{"a": 3, "b": {"c": 1, "d": 1}, "e": 1}"#
            )
        )
        #expect(resolution.fieldActions.map(\.path) == ["a", "b", "e"])
        #expect(resolution.fieldActions.map(\.action) == [.remote, .local, .local])
        #expect(resolution.fieldActions[0].isCollision)
        #expect(resolution.fieldActions[0].reason.contains("newer write (remote, 2000.0@hub)"))
        #expect(resolution.fieldActions[1].reason == "changed on local only")
        #expect(resolution.fieldActions[2].reason == "deleted on local only")
        #expect(resolution.collisions == ["a"])
    }

    @Test("equal stamps still pick one side the same way whichever side is local")
    func equalStamps() {
        var input = conflict(base: #"{"a": 1}"#, local: #"{"a": 2}"#, remote: #"{"a": 3}"#)
        input.localStamp = newerStamp
        let first = plainResolver().resolve(input).value
        let second = plainResolver().resolve(input.swapped).value
        #expect(first == second)
        #expect(first == json(#"{"a": 3}"#))
    }

    @Test("member order in memory never changes the resolution or its report")
    func memberOrderIrrelevant() {
        let names = (0..<40).map { "m\($0)" }
        func row(_ value: (Int) -> Int64, order: [String], capacity: Int) -> JSONValue {
            var members = [String: JSONValue](minimumCapacity: capacity)
            for name in order { members[name] = .integer(value(Int(name.dropFirst())!)) }
            return .object(members)
        }
        func input(_ order: [String], capacity: Int) -> Conflict {
            Conflict(
                entityType: "things",
                key: "k",
                local: row({ $0 % 3 == 0 ? 1 : 0 }, order: order, capacity: capacity),
                remote: row({ $0 % 2 == 0 ? 2 : 0 }, order: order, capacity: capacity),
                base: row({ _ in 0 }, order: order, capacity: capacity),
                localStamp: olderStamp,
                remoteStamp: newerStamp
            )
        }
        let first = plainResolver().resolve(input(names, capacity: 0))
        let second = plainResolver().resolve(input(names.reversed(), capacity: 1_000))
        #expect(first == second)
        #expect(first.fieldActions.map(\.path) == first.fieldActions.map(\.path).sorted())
    }
}
