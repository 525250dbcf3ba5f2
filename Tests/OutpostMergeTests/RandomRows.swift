import OutpostCore
import OutpostMerge
import PropertyBased

/// A random conflict for property tests: a base row and two independent edits of it.
struct RandomConflict: Sendable, CustomStringConvertible {
    var base: JSONValue
    var local: JSONValue
    var remote: JSONValue
    var hasBase: Bool
    var remoteIsNewer: Bool

    func conflict(_ entityType: String = "things") -> Conflict {
        Conflict(
            entityType: entityType,
            key: "k",
            local: local,
            remote: remote,
            base: hasBase ? Optional(base) : Optional.none,
            localStamp: remoteIsNewer ? olderStamp : newerStamp,
            remoteStamp: remoteIsNewer ? newerStamp : olderStamp
        )
    }

    var description: String {
        "base \(hasBase ? base.encoded() : "none")\nlocal \(local.encoded())\nremote \(remote.encoded())"
            + "\n\(remoteIsNewer ? "remote" : "local") newer"
    }

    /// Random nested rows (objects, arrays, multi-line text, every scalar type) and edits of them:
    /// changed, added and deleted members, array insertions, removals and moves, edited lines,
    /// and type changes. Names and values come from small sets so the two edits often touch the
    /// same places.
    static let generator = Generator<RandomConflict, Shrink.None<RandomConflict>>(run: { random in
        var maker = RowMaker(random: random)
        let base = maker.object(depth: 0)
        let conflict = RandomConflict(
            base: base,
            local: maker.edit(base, depth: 0),
            remote: maker.edit(base, depth: 0),
            hasBase: maker.chance(0.8),
            remoteIsNewer: maker.chance(0.5)
        )
        random = maker.random
        return conflict
    })
}

/// Builds and edits random JSON from a property test's random source.
private struct RowMaker {
    var random: any SeededRandomNumberGenerator
    static let names = ["a", "b", "c", "d", "e", "f"]
    static let words: [JSONValue] = ["x", "y", "z", "running", "idle"]
    static let lines = ["alpha", "beta", "gamma", "delta", "epsilon"]

    mutating func below(_ bound: Int) -> Int {
        Int(random.next() % UInt64(bound))
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(random.next() % 1_000) < probability * 1_000
    }

    mutating func value(depth: Int) -> JSONValue {
        switch below(depth >= 3 ? 7 : 10) {
        case 0: return .null
        case 1: return .bool(chance(0.5))
        case 2: return .integer(Int64(below(5)))
        case 3: return .double(Double(below(4)) / 2)
        case 4: return Self.words[below(Self.words.count)]
        case 5, 6: return text()
        case 7, 8: return array(depth: depth + 1)
        default: return object(depth: depth + 1)
        }
    }

    mutating func text() -> JSONValue {
        .string((0..<(1 + below(4))).map { _ in Self.lines[below(Self.lines.count)] }.joined(separator: "\n"))
    }

    mutating func array(depth: Int) -> JSONValue {
        .array(
            (0..<below(5)).map { _ in chance(0.2) && depth < 3 ? object(depth: depth + 1) : .integer(Int64(below(6))) }
        )
    }

    mutating func object(depth: Int) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for name in Self.names where chance(depth == 0 ? 0.8 : 0.4) { members[name] = value(depth: depth) }
        return .object(members)
    }

    /// A random edit of `value`: sometimes untouched, sometimes edited inside, sometimes replaced.
    mutating func edit(_ value: JSONValue, depth: Int) -> JSONValue {
        if depth > 0 && chance(0.1) { return self.value(depth: depth) }
        switch value {
        case .object(var members):
            for name in Self.names {
                let roll = below(10)
                if roll == 0 {
                    members[name] = nil
                } else if roll == 1 {
                    members[name] = self.value(depth: depth + 1)
                } else if roll < 5, let member = members[name] {
                    members[name] = edit(member, depth: depth + 1)
                }
            }
            return .object(members)
        case .array(var elements):
            switch below(5) {
            case 0: elements.insert(.integer(Int64(below(6))), at: below(elements.count + 1))
            case 1 where !elements.isEmpty: elements.remove(at: below(elements.count))
            case 2 where elements.count > 1: elements.append(elements.remove(at: below(elements.count)))
            case 3 where !elements.isEmpty:
                let index = below(elements.count)
                elements[index] = edit(elements[index], depth: depth + 1)
            default: break
            }
            return .array(elements)
        case .string(let string) where string.contains("\n") || chance(0.3):
            var lines = string.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            switch below(3) {
            case 0: lines.insert(Self.lines[below(Self.lines.count)], at: below(lines.count + 1))
            case 1 where lines.count > 1: lines.remove(at: below(lines.count))
            default: lines[below(lines.count)] = Self.lines[below(Self.lines.count)]
            }
            return .string(lines.joined(separator: "\n"))
        default:
            return chance(0.5) ? self.value(depth: depth) : value
        }
    }
}
