import OutpostCore

extension ThreeWayMerge {
    /// Merges two arrays both sides changed, as sequences.
    ///
    /// An element either side added is kept, one either side removed (and the other left
    /// alone) is removed, and order is kept. Where both sides edited the same stretch: if each
    /// replaced it element for element, the elements merge pairwise (two edits to one step of
    /// a workflow both survive); otherwise the base elements there go (each was removed by at
    /// least one side) and both sides' additions stay, the older write's first. With no base
    /// array, the elements the sides share stand in for it, so the result is their union.
    mutating func mergeArrays(base: JSONValue?, local: [JSONValue], remote: [JSONValue]) -> JSONValue? {
        let baseElements: [JSONValue]
        if case .array(let elements)? = base {
            baseElements = elements
        } else {
            let (older, newer) = olderFirst(local, remote)
            guard let common = Diff3.commonSubsequence(older, newer) else {
                return newest(local: local, remote: remote, "arrays too long to compare element by element")
            }
            baseElements = common
        }
        guard let diff = Diff3(base: baseElements, local: local, remote: remote) else {
            return newest(local: local, remote: remote, "arrays too long to compare element by element")
        }
        let slot = reserveRecord()
        var merged: [JSONValue] = []
        merged.reserveCapacity(max(local.count, remote.count))
        var insertedAtSamePlace = false
        var editedSameStretch = false
        for chunk in diff.chunks {
            switch chunk {
            case .base(let range): merged += baseElements[range]
            case .local(let range): merged += local[range]
            case .remote(let range): merged += remote[range]
            case .conflict(let baseRange, let localRange, let remoteRange)
            where baseRange.count == localRange.count && localRange.count == remoteRange.count:
                for offset in 0..<baseRange.count {
                    enter(.index(merged.count))
                    let element = merge(
                        base: baseElements[baseRange.lowerBound + offset],
                        local: local[localRange.lowerBound + offset],
                        remote: remote[remoteRange.lowerBound + offset]
                    )
                    leave()
                    if let element { merged.append(element) }
                }
            case .conflict(let baseRange, let localRange, let remoteRange):
                if baseRange.isEmpty { insertedAtSamePlace = true } else { editedSameStretch = true }
                let localAdded = zip(local[localRange], diff.localKeepsBase[localRange]).filter { !$1 }.map(\.0)
                let remoteAdded = zip(remote[remoteRange], diff.remoteKeepsBase[remoteRange]).filter { !$1 }.map(\.0)
                let (older, newer) = olderFirst(localAdded, remoteAdded)
                merged += older
                var unmatched = older
                for element in newer {
                    if let twin = unmatched.firstIndex(of: element) {
                        unmatched.remove(at: twin)
                    } else {
                        merged.append(element)
                    }
                }
            }
        }
        if editedSameStretch {
            fillRecord(
                slot,
                .merged,
                "both edited the same stretch; kept every element either side added, dropped every element "
                    + "either side removed, the older write's additions first",
                Self.overlappingSequenceConfidence
            )
        } else if insertedAtSamePlace {
            fillRecord(
                slot,
                .merged,
                "both added elements at the same place; kept both, the older write's first",
                Self.concurrentInsertionConfidence
            )
        } else {
            fillRecord(slot, .merged, "merged element by element", Self.cleanSequenceConfidence)
        }
        return .array(merged)
    }

    /// Merges two multi-line texts both sides changed, line by line; when the same lines
    /// collide, the newer write takes the whole text.
    mutating func mergeText(base: JSONValue?, local: String, remote: String) -> JSONValue? {
        let localLines = Self.lines(local)
        let remoteLines = Self.lines(remote)
        let baseLines: [Substring]
        if case .string(let text)? = base {
            baseLines = Self.lines(text)
        } else {
            let (older, newer) = olderFirst(localLines, remoteLines)
            guard let common = Diff3.commonSubsequence(older, newer) else {
                return newest(
                    .string(local),
                    .string(remote),
                    "texts too long to compare line by line",
                    Self.newestFallbackConfidence
                )
            }
            baseLines = common
        }
        guard let diff = Diff3(base: baseLines, local: localLines, remote: remoteLines) else {
            return newest(
                .string(local),
                .string(remote),
                "texts too long to compare line by line",
                Self.newestFallbackConfidence
            )
        }
        var merged: [Substring] = []
        merged.reserveCapacity(max(localLines.count, remoteLines.count))
        for chunk in diff.chunks {
            switch chunk {
            case .base(let range): merged += baseLines[range]
            case .local(let range): merged += localLines[range]
            case .remote(let range): merged += remoteLines[range]
            case .conflict:
                return newest(
                    .string(local),
                    .string(remote),
                    "both changed the same lines",
                    Self.newestFallbackConfidence
                )
            }
        }
        record(.merged, "merged line by line", Self.cleanSequenceConfidence, collision: true)
        return .string(merged.joined(separator: "\n"))
    }

    private mutating func newest(local: [JSONValue], remote: [JSONValue], _ why: String) -> JSONValue? {
        newest(.array(local), .array(remote), why, Self.newestFallbackConfidence)
    }

    private static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
    }
}
