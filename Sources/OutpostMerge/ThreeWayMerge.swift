import OutpostCore

/// The field-by-field merge behind the `auto` and `merge` strategies: one walk over one conflict.
///
/// At each field: equal sides keep their value; a side that left the base untouched yields to
/// the other (so a one-sided deletion deletes); where both changed differently, the decisive
/// rule acts (`auto` only), and otherwise the merge goes inside the value — objects member by
/// member, arrays as sequences, multi-line text by lines — and what still collides goes to the
/// newer write by hybrid timestamp. With no base, the two sides are compared alone.
struct ThreeWayMerge {
    /// Confidence of a field taken from the one side that changed it.
    static let oneSidedConfidence = 1.0
    /// Confidence of a field present on one side only when there is no base to tell an addition
    /// on one side from a deletion on the other (two-way merge).
    static let unanchoredConfidence = 0.7
    /// Confidence of a collision a rule settled with `local`, `remote` or a custom handler.
    static let ruleConfidence = 0.9
    /// Confidence of a collision a rule settled with `newest`.
    static let ruleNewestConfidence = 0.85
    /// Confidence of an array or text merged with no overlapping edits.
    static let cleanSequenceConfidence = 0.95
    /// Confidence of an array where both sides added elements at the same place (both kept).
    static let concurrentInsertionConfidence = 0.85
    /// Confidence of an array where both sides edited the same stretch (every addition kept).
    static let overlappingSequenceConfidence = 0.75
    /// Confidence of a collision no rule settled, given to the newer write.
    static let newestFallbackConfidence = 0.6
    /// Confidence of a collision whose custom handler is not registered (given to the newer write).
    static let missingHandlerConfidence = 0.3
    /// Factor applied to the overall confidence of a two-way merge.
    static let twoWayFactor = 0.8

    private let conflict: Conflict
    /// The rules to consult, or `nil` to ignore rules (the `merge` strategy).
    private let rules: [Rule]?
    private let fieldHandlers: [String: FieldHandler]
    private let remoteIsNewer: Bool
    /// Whether the conflict has no base, so every difference is compared two-way.
    let isTwoWay: Bool
    private var path = FieldPath()
    /// What happened to each changed field, in path order.
    private(set) var actions: [FieldAction] = []

    init(conflict: Conflict, rules: [Rule]?, fieldHandlers: [String: FieldHandler]) {
        self.conflict = conflict
        self.rules = rules
        self.fieldHandlers = fieldHandlers
        self.remoteIsNewer = conflict.remoteIsNewer
        self.isTwoWay = conflict.base == nil
    }

    /// Merges the whole row.
    mutating func run() -> JSONValue {
        // Never nil at the top: both sides are present and no rule pattern covers the whole row.
        merge(base: conflict.base, local: conflict.local, remote: conflict.remote) ?? conflict.local
    }

    /// The mean confidence of the field decisions (1 when nothing changed), lowered for two-way.
    var confidence: Double {
        let mean = actions.isEmpty ? 1 : actions.reduce(0) { $0 + $1.confidence } / Double(actions.count)
        return isTwoWay ? mean * Self.twoWayFactor : mean
    }

    /// Merges the field at the current path; `nil` means the field is absent from the result.
    mutating func merge(base: JSONValue?, local: JSONValue?, remote: JSONValue?) -> JSONValue? {
        if local == remote { return local }
        if local == base {
            record(.remote, Self.oneSidedReason("remote", base: base, value: remote, twoWay: isTwoWay))
            return remote
        }
        if remote == base {
            record(.local, Self.oneSidedReason("local", base: base, value: local, twoWay: isTwoWay))
            return local
        }
        return settleCollision(base: base, local: local, remote: remote)
    }

    // MARK: Collisions

    private mutating func settleCollision(base: JSONValue?, local: JSONValue?, remote: JSONValue?) -> JSONValue? {
        guard let rule = rules?.decisive(at: path, in: conflict) else {
            return mergeInside(base: base, local: local, remote: remote, because: nil)
        }
        switch rule.action {
        case .local:
            record(.local, "both changed; rule \(rule)", Self.ruleConfidence, collision: true, byRule: true)
            return local
        case .remote:
            record(.remote, "both changed; rule \(rule)", Self.ruleConfidence, collision: true, byRule: true)
            return remote
        case .newest:
            return newest(local, remote, "both changed; rule \(rule)", Self.ruleNewestConfidence, byRule: true)
        case .merge:
            return mergeInside(base: base, local: local, remote: remote, because: rule)
        case .custom(let name):
            guard let handler = fieldHandlers[name] else {
                return newest(
                    local,
                    remote,
                    "both changed; rule \(rule), but no field handler '\(name)' is registered",
                    Self.missingHandlerConfidence
                )
            }
            let field = FieldConflict(
                entityType: conflict.entityType,
                key: conflict.key,
                path: path.description,
                base: base,
                local: local,
                remote: remote,
                localStamp: conflict.localStamp,
                remoteStamp: conflict.remoteStamp
            )
            record(.custom, "both changed; rule \(rule)", Self.ruleConfidence, collision: true, byRule: true)
            return handler(field)
        }
    }

    /// Merges inside two values both sides changed; gives the field to the newer write when
    /// their shapes do not merge.
    private mutating func mergeInside(
        base: JSONValue?,
        local: JSONValue?,
        remote: JSONValue?,
        because rule: Rule?
    ) -> JSONValue? {
        switch (local, remote) {
        case (.object(let localMembers)?, .object(let remoteMembers)?):
            return .object(mergeObjects(base: base?.objectValue ?? [:], local: localMembers, remote: remoteMembers))
        case (.array(let localElements)?, .array(let remoteElements)?):
            return mergeArrays(base: base, local: localElements, remote: remoteElements)
        case (.string(let localText)?, .string(let remoteText)?)
        where Self.isMultiline(localText) || Self.isMultiline(remoteText):
            return mergeText(base: base, local: localText, remote: remoteText)
        default:
            let what: String
            switch (local, remote) {
            case (nil, _): what = "deleted on local, changed on remote"
            case (_, nil): what = "deleted on remote, changed on local"
            case (let local?, let remote?) where local.typeName != remote.typeName:
                what = "type changed (\(local.typeName) vs \(remote.typeName))"
            default: what = "both changed the value"
            }
            let by = rule.map { "rule \($0) found nothing to merge inside" } ?? "no rule"
            return newest(local, remote, "\(what); \(by)", Self.newestFallbackConfidence)
        }
    }

    /// Merges two objects member by member, in sorted member order so reports are stable.
    private mutating func mergeObjects(
        base: [String: JSONValue],
        local: [String: JSONValue],
        remote: [String: JSONValue]
    ) -> [String: JSONValue] {
        var differing: [String] = []
        for (key, value) in local where remote[key] != value { differing.append(key) }
        for key in remote.keys where local[key] == nil { differing.append(key) }
        differing.sort()
        var merged = local
        for key in differing {
            path.append(.key(key))
            merged[key] = merge(base: base[key], local: local[key], remote: remote[key])
            path.removeLast()
        }
        return merged
    }

    /// Gives the field to the newer write.
    mutating func newest(
        _ local: JSONValue?,
        _ remote: JSONValue?,
        _ why: String,
        _ confidence: Double,
        byRule: Bool = false
    ) -> JSONValue? {
        let stamp = remoteIsNewer ? conflict.remoteStamp : conflict.localStamp
        let side = remoteIsNewer ? "remote" : "local"
        record(
            remoteIsNewer ? .remote : .local,
            "\(why); kept the newer write (\(side), \(stamp))",
            confidence,
            collision: true,
            byRule: byRule
        )
        return remoteIsNewer ? remote : local
    }

    // MARK: Reporting

    mutating func record(
        _ action: FieldAction.Kind,
        _ reason: String,
        _ confidence: Double? = nil,
        collision: Bool = false,
        byRule: Bool = false
    ) {
        let confidence = confidence ?? (isTwoWay ? Self.unanchoredConfidence : Self.oneSidedConfidence)
        actions.append(
            FieldAction(
                path: path.description,
                action: action,
                reason: reason,
                confidence: confidence,
                isCollision: collision,
                settledByRule: byRule
            )
        )
    }

    /// Reserves the report line of a field whose members are reported after it.
    mutating func reserveRecord() -> Int {
        actions.append(
            FieldAction(path: path.description, action: .merged, reason: "", confidence: 1, isCollision: false)
        )
        return actions.count - 1
    }

    mutating func fillRecord(_ slot: Int, _ action: FieldAction.Kind, _ reason: String, _ confidence: Double) {
        actions[slot].action = action
        actions[slot].reason = reason
        actions[slot].confidence = confidence
        actions[slot].isCollision = true
    }

    private static func oneSidedReason(_ side: String, base: JSONValue?, value: JSONValue?, twoWay: Bool) -> String {
        if twoWay {
            let other = side == "local" ? "remote" : "local"
            return "present on \(side) only; with no base, an addition on \(side) and a deletion on \(other) "
                + "look alike, so it is kept"
        }
        if value == nil { return "deleted on \(side) only" }
        if base == nil { return "added on \(side) only" }
        return "changed on \(side) only"
    }

    static func isMultiline(_ text: String) -> Bool {
        text.utf8.contains(UInt8(ascii: "\n"))
    }

    /// The two sides ordered older first: the order concurrent insertions are placed in, and
    /// the order sides are compared in when there is no base (so swapping sides changes nothing).
    func olderFirst<Value>(_ local: Value, _ remote: Value) -> (older: Value, newer: Value) {
        remoteIsNewer ? (local, remote) : (remote, local)
    }

    mutating func enter(_ segment: FieldPath.Segment) {
        path.append(segment)
    }

    mutating func leave() {
        path.removeLast()
    }
}
