import OutpostCore
import OutpostMerge
import PropertyBased
import Testing

@Suite("Merge properties over random nested rows")
struct MergePropertyTests {
    static let strategies: [Strategy] = [.merge, .auto]
    /// Rules that favour no side, so swapping sides must not change the result.
    static let symmetricRules = ConflictResolver(
        configuration: RulesConfiguration(
            entities: [
                "things": EntityRules(
                    strategy: .auto,
                    rules: [
                        Rule(field: "a", action: .newest), Rule(field: "b.*", action: .merge),
                        Rule(field: "c.*", action: .newest, weight: 3), Rule(field: "*", action: .merge),
                    ]
                )
            ])
    )

    @Test("both sides equal: the result is that value, whatever the base", arguments: strategies)
    func sameOnBothSides(strategy: Strategy) async {
        await propertyCheck(count: 300, input: RandomConflict.generator) { random in
            var input = random.conflict()
            input.remote = input.local
            #expect(plainResolver().resolve(input, using: strategy).value == input.local)
        }
    }

    @Test("only remote changed: the result is remote", arguments: strategies)
    func onlyRemoteChanged(strategy: Strategy) async {
        await propertyCheck(count: 300, input: RandomConflict.generator) { random in
            let input = Conflict(
                entityType: "things",
                key: "k",
                local: random.base,
                remote: random.remote,
                base: random.base,
                localStamp: newerStamp,
                remoteStamp: olderStamp
            )
            #expect(plainResolver().resolve(input, using: strategy).value == random.remote)
        }
    }

    @Test("only local changed: the result is local", arguments: strategies)
    func onlyLocalChanged(strategy: Strategy) async {
        await propertyCheck(count: 300, input: RandomConflict.generator) { random in
            let input = Conflict(
                entityType: "things",
                key: "k",
                local: random.local,
                remote: random.base,
                base: random.base,
                localStamp: olderStamp,
                remoteStamp: newerStamp
            )
            #expect(plainResolver().resolve(input, using: strategy).value == random.local)
        }
    }

    @Test("the same inputs give the same resolution, to the last reason")
    func deterministic() async {
        await propertyCheck(count: 300, input: RandomConflict.generator) { random in
            let input = random.conflict("agents")
            #expect(ConflictResolver().resolve(input) == ConflictResolver().resolve(input))
            #expect(plainResolver(.manual).resolve(input) == plainResolver(.manual).resolve(input))
        }
    }

    @Test("swapping local and remote (with their stamps) gives the same merged value")
    func symmetric() async {
        await propertyCheck(count: 500, input: RandomConflict.generator) { random in
            let input = random.conflict()
            let merged = plainResolver().resolve(input)
            #expect(merged.value == plainResolver().resolve(input.swapped).value, "\(random)")
            let ruled = Self.symmetricRules.resolve(input)
            #expect(ruled.value == Self.symmetricRules.resolve(input.swapped).value, "\(random)")
            #expect(merged.usedTwoWay == !random.hasBase)
            #expect((0...1).contains(merged.confidence) && (0...1).contains(ruled.confidence))
        }
    }

    @Test("a change only one side made to a top-level member always survives")
    func oneSidedMembersSurvive() async {
        await propertyCheck(count: 300, input: RandomConflict.generator) { random in
            guard random.hasBase, case .object(let base) = random.base, case .object(let local) = random.local,
                case .object(let remote) = random.remote,
                case .object(let merged)? = plainResolver().resolve(
                    random.conflict()
                ).value
            else { return }
            for name in Set(base.keys).union(local.keys).union(remote.keys) where remote[name] == base[name] {
                #expect(merged[name] == local[name], "member \(name) of \(random)")
            }
        }
    }
}
