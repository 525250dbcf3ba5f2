/// The member names of one object seen so far, to refuse a name given twice: a list while short
/// (most objects: no hashing), a set after.
package struct JSONMemberNames {
    private var list: [String] = []
    private var set: Set<String> = []

    package init() {}

    /// Adds `name`; `false` when the object already had it.
    package mutating func insert(_ name: String) -> Bool {
        if set.isEmpty {
            guard !list.contains(name) else { return false }
            list.append(name)
            if list.count > 16 { set = Set(list) }
            return true
        }
        return set.insert(name).inserted
    }
}
