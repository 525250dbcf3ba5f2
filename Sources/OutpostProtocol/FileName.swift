public import OutpostCore

/// The rules a stored file's name keeps: a relative path of plain segments, so no name can reach
/// outside the store when a file is written out, and every node can hold every name.
public enum FileName {
    /// Longest name, in UTF-8 bytes.
    public static let maximumBytes = 1024
    /// Longest segment between slashes, in UTF-8 bytes (the usual file-system limit).
    public static let maximumSegmentBytes = 255

    /// Checks `name` and returns it.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` saying what is wrong: empty, absolute, a `.` or
    ///   `..` segment, an empty segment (`a//b`, a trailing `/`), a NUL or control character, or
    ///   over-long.
    @discardableResult
    public static func validate(_ name: String) throws(OutpostError) -> String {
        func refuse(_ why: String) -> OutpostError {
            OutpostError(
                .invalidInput,
                "File name '\(printable(name))' is refused: \(why). Use a relative path such as reports/day-1.csv.",
                details: ["name": printable(name)]
            )
        }
        guard !name.isEmpty else { throw refuse("it is empty") }
        guard name.utf8.count <= maximumBytes else { throw refuse("it is longer than \(maximumBytes) bytes") }
        guard !name.hasPrefix("/") else { throw refuse("it is an absolute path") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw refuse("it contains a NUL or control character")
        }
        for segment in name.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { throw refuse("it has an empty segment (// or a trailing /)") }
            if segment == "." || segment == ".." { throw refuse("it has a '\(segment)' segment") }
            if segment.utf8.count > maximumSegmentBytes {
                throw refuse("a segment is longer than \(maximumSegmentBytes) bytes")
            }
        }
        return name
    }

    /// The name of the copy kept beside `name` when two nodes changed it concurrently:
    /// `dir/report (conflict 9f86d081).pdf`, from the losing content's hash, so the same
    /// content always gets the same name, whichever node makes the copy.
    public static func conflictCopy(of name: String, hash: String) -> String {
        let slash = name.lastIndex(of: "/")
        let folder = slash.map { String(name[...$0]) } ?? ""
        let base = slash.map { String(name[name.index(after: $0)...]) } ?? name
        let dot = base.lastIndex(of: ".").flatMap { $0 == base.startIndex ? nil : $0 }
        let stem = dot.map { String(base[..<$0]) } ?? base
        let suffix = dot.map { String(base[$0...]) } ?? ""
        let tag = " (conflict \(hash.prefix(8)))"
        let room = maximumSegmentBytes - tag.utf8.count - suffix.utf8.count
        let shortStem = String(decoding: stem.utf8.prefix(max(1, room)), as: UTF8.self)
        return folder + shortStem + tag + suffix
    }

    /// `name` with control characters shown as `?`, for messages.
    static func printable(_ name: String) -> String {
        String(
            String.UnicodeScalarView(
                name.unicodeScalars.prefix(120).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }
            )
        )
    }
}
