/// The name prefixes SQLite, GRDB and Outpost keep for their own tables. A node never tracks a
/// table so named, and the hub refuses rows for one: both ask here, so they cannot disagree.
public enum ReservedTableName {
    /// Compared without case, as SQLite compares names.
    public static let prefixes = ["sqlite_", "grdb_", "outpost_"]

    /// Whether `name` begins with one of ``prefixes``, in any case.
    public static func isReserved(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return prefixes.contains(where: lowered.hasPrefix)
    }
}
