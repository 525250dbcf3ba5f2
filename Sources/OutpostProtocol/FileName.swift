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
    ///   `..` segment, an empty segment (`a//b`, a trailing `/`), a NUL or control character (C0
    ///   or C1: terminal escapes), a bidirectional override (which makes a name show as another),
    ///   or over-long.
    @discardableResult
    public static func validate(_ name: String) throws(OutpostError) -> String {
        func refuse(_ why: String) -> OutpostError {
            OutpostError(
                .invalidInput,
                "File name '\(printable(name, limit: 120))' is refused: \(why). Use a relative path such as reports/day-1.csv.",
                details: ["name": printable(name, limit: 120)]
            )
        }
        guard !name.isEmpty else { throw refuse("it is empty") }
        guard name.utf8.count <= maximumBytes else { throw refuse("it is longer than \(maximumBytes) bytes") }
        guard !name.hasPrefix("/") else { throw refuse("it is an absolute path") }
        guard !name.unicodeScalars.contains(where: isControl) else {
            throw refuse("it contains a NUL or control character")
        }
        guard !name.unicodeScalars.contains(where: isBidirectionalControl) else {
            throw refuse("it contains a bidirectional control character, which can make it show as another name")
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

    /// `name` with control and bidirectional characters shown as `?`, for messages and listings:
    /// a name from another machine must not drive the terminal it is printed on.
    public static func printable(_ name: String, limit: Int = maximumBytes) -> String {
        String(
            String.UnicodeScalarView(
                name.unicodeScalars.prefix(limit).map { isControl($0) || isBidirectionalControl($0) ? "?" : $0 }
            )
        )
    }

    /// C0 and C1 control characters and DEL: U+009B alone starts a terminal escape sequence.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The marks and embeddings that reorder how text shows (`invoice\u{202E}fdp.exe`).
    static func isBidirectionalControl(_ scalar: Unicode.Scalar) -> Bool {
        [0x061C, 0x200E, 0x200F].contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
            || (0x2066...0x2069).contains(scalar.value)
    }
}
