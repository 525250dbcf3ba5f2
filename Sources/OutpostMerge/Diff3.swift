/// A three-way comparison of sequences, in the manner of `diff3`.
///
/// Each side is matched against the base by a longest common subsequence. Base elements kept
/// by both sides anchor stable stretches; between anchors, a stretch that only one side changed
/// takes that side, one both changed alike takes either, and one both changed differently is a
/// ``Chunk/conflict(base:local:remote:)`` for the caller to settle.
struct Diff3<Element: Equatable> {
    /// A stretch of the result, as index ranges into the inputs.
    enum Chunk: Equatable {
        /// Base elements both sides kept.
        case base(Range<Int>)
        /// Local elements: local changed the stretch and remote did not, or both changed it alike.
        case local(Range<Int>)
        /// Remote elements: remote changed the stretch and local did not.
        case remote(Range<Int>)
        /// Both sides changed the stretch differently. Every base element in it was dropped by at
        /// least one side.
        case conflict(base: Range<Int>, local: Range<Int>, remote: Range<Int>)
    }

    /// The stretches, in order.
    private(set) var chunks: [Chunk] = []
    /// For each local element, whether it is a base element local kept (not one it inserted).
    private(set) var localKeepsBase: [Bool]
    /// For each remote element, whether it is a base element remote kept.
    private(set) var remoteKeepsBase: [Bool]

    /// Most cells a longest-common-subsequence table may have (common prefix and suffix are
    /// trimmed first); longer inputs make the initializer fail rather than use unbounded memory.
    static var cellLimit: Int { 4_000_000 }

    /// Compares the three sequences, or returns `nil` when they are too long to compare.
    init?(base: [Element], local: [Element], remote: [Element]) {
        guard let localMatch = Self.matches(base, local), let remoteMatch = Self.matches(base, remote) else {
            return nil
        }
        localKeepsBase = Self.targets(of: localMatch, count: local.count)
        remoteKeepsBase = Self.targets(of: remoteMatch, count: remote.count)
        var (inBase, inLocal, inRemote) = (0, 0, 0)
        while inBase < base.count || inLocal < local.count || inRemote < remote.count {
            let stableStart = inBase
            while inBase < base.count && localMatch[inBase] == inLocal && remoteMatch[inBase] == inRemote {
                inBase += 1
                inLocal += 1
                inRemote += 1
            }
            if inBase > stableStart {
                chunks.append(.base(stableStart..<inBase))
                continue
            }
            var anchor = inBase
            while anchor < base.count && (localMatch[anchor] < 0 || remoteMatch[anchor] < 0) { anchor += 1 }
            let baseRange = inBase..<anchor
            let localRange = inLocal..<(anchor < base.count ? localMatch[anchor] : local.count)
            let remoteRange = inRemote..<(anchor < base.count ? remoteMatch[anchor] : remote.count)
            if local[localRange] == remote[remoteRange] {
                if !localRange.isEmpty { chunks.append(.local(localRange)) }
            } else if local[localRange] == base[baseRange] {
                if !remoteRange.isEmpty { chunks.append(.remote(remoteRange)) }
            } else if remote[remoteRange] == base[baseRange] {
                if !localRange.isEmpty { chunks.append(.local(localRange)) }
            } else {
                chunks.append(.conflict(base: baseRange, local: localRange, remote: remoteRange))
            }
            (inBase, inLocal, inRemote) = (anchor, localRange.upperBound, remoteRange.upperBound)
        }
    }

    /// A longest common subsequence of `first` and `second`, or `nil` when they are too long.
    ///
    /// The result depends on the order of the arguments only through which equal-length
    /// subsequence is picked; callers that need symmetry pass the sides in a fixed order.
    static func commonSubsequence(_ first: [Element], _ second: [Element]) -> [Element]? {
        guard let match = matches(first, second) else { return nil }
        var common: [Element] = []
        common.reserveCapacity(min(first.count, second.count))
        for (index, partner) in match.enumerated() where partner >= 0 { common.append(first[index]) }
        return common
    }

    /// For each index of `first`, the index of the element of `second` it is matched with in a
    /// longest common subsequence, or -1.
    private static func matches(_ first: [Element], _ second: [Element]) -> [Int]? {
        var match = [Int](repeating: -1, count: first.count)
        var prefix = 0
        while prefix < first.count && prefix < second.count && first[prefix] == second[prefix] {
            match[prefix] = prefix
            prefix += 1
        }
        var firstEnd = first.count
        var secondEnd = second.count
        while firstEnd > prefix && secondEnd > prefix && first[firstEnd - 1] == second[secondEnd - 1] {
            firstEnd -= 1
            secondEnd -= 1
            match[firstEnd] = secondEnd
        }
        let rows = firstEnd - prefix
        let columns = secondEnd - prefix
        guard rows > 0 && columns > 0 else { return match }
        guard (rows + 1) * (columns + 1) <= cellLimit else { return nil }

        // lengths[i * width + j]: length of the common subsequence of the suffixes from i and j.
        let width = columns + 1
        var lengths = [Int32](repeating: 0, count: (rows + 1) * width)
        for row in stride(from: rows - 1, through: 0, by: -1) {
            for column in stride(from: columns - 1, through: 0, by: -1) {
                lengths[row * width + column] =
                    first[prefix + row] == second[prefix + column]
                    ? lengths[(row + 1) * width + column + 1] + 1
                    : max(lengths[(row + 1) * width + column], lengths[row * width + column + 1])
            }
        }
        var (row, column) = (0, 0)
        while row < rows && column < columns {
            if first[prefix + row] == second[prefix + column] {
                match[prefix + row] = prefix + column
                row += 1
                column += 1
            } else if lengths[(row + 1) * width + column] >= lengths[row * width + column + 1] {
                row += 1
            } else {
                column += 1
            }
        }
        return match
    }

    private static func targets(of match: [Int], count: Int) -> [Bool] {
        var kept = [Bool](repeating: false, count: count)
        for partner in match where partner >= 0 { kept[partner] = true }
        return kept
    }
}
