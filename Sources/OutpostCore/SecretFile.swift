import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A secret kept in a file instead of a command line, where every local user could read it in
/// `ps`: a node token, the hub's PostgreSQL password. The file must not be readable by group or
/// others; one trailing newline (as `echo` writes) is not part of the secret.
public enum SecretFile {
    /// The secret in `path`.
    ///
    /// - Parameter what: how messages name it ("token file", "password file").
    /// - Throws: ``OutpostError`` `.invalidInput` for a file that cannot be read, is readable by
    ///   others, is over 4 KiB, or holds nothing or several lines.
    public static func read(_ path: String, what: String) throws(OutpostError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw OutpostError(.invalidInput, "Cannot read the \(what) \(path): \(String(cString: strerror(errno))).")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw OutpostError(
                .invalidInput,
                "The \(what) \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); "
                    + "run `chmod 600 \(path)` first."
            )
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 4096 else {
            throw OutpostError(.invalidInput, "Cannot read the \(what) \(path), or it is over 4 KiB.")
        }
        return try trimmed(String(decoding: data, as: UTF8.self), what: what)
    }

    /// `text` without one trailing newline.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` when nothing is left or it spans several lines.
    public static func trimmed(_ text: String, what: String) throws(OutpostError) -> String {
        let trimmed =
            text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !trimmed.isEmpty, !trimmed.contains(where: \.isNewline) else {
            throw OutpostError(.invalidInput, "The \(what) is empty or spans several lines; give the secret alone.")
        }
        return trimmed
    }
}
