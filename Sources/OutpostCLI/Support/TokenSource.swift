import Foundation
import OutpostCore

/// Where a secret given to the CLI comes from: a file readable by its owner only, standard
/// input (`-`), the environment, or (visible to every local user in `ps`) the argument itself.
enum TokenSource {
    static let environmentVariable = "OUTPOST_TOKEN"

    /// The token from exactly one of: `token` (`-` for standard input), `file`, or
    /// `$OUTPOST_TOKEN`; a trailing newline is dropped.
    ///
    /// - Throws: ``OutpostError`` `.invalidInput` for none or several sources, an empty token,
    ///   or a file that others can read or that cannot be read.
    static func read(token: String?, file: String?) throws(OutpostError) -> String {
        let environment = ProcessInfo.processInfo.environment[environmentVariable]
        let given = [token != nil, file != nil].filter { $0 }.count
        guard given <= 1 else {
            throw OutpostError(.invalidInput, "Give the token one way: --token or --token-file, not both.")
        }
        let text: String
        if let file {
            text = try readFile(file)
        } else if token == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile().prefix(4096), as: UTF8.self)
        } else if let token {
            text = token
        } else if let environment {
            text = environment
        } else {
            throw OutpostError(
                .invalidInput,
                "No token: give --token-file FILE, --token - (standard input) or $\(environmentVariable)."
            )
        }
        let trimmed =
            text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !trimmed.isEmpty, !trimmed.contains(where: \.isNewline) else {
            throw OutpostError(.invalidInput, "The token is empty or spans several lines; give the token alone.")
        }
        return trimmed
    }

    private static func readFile(_ path: String) throws(OutpostError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw OutpostError(
                .invalidInput,
                "Cannot read the token file \(path): \(String(cString: strerror(errno)))."
            )
        }
        guard info.st_mode & 0o077 == 0 else {
            throw OutpostError(
                .invalidInput,
                "The token file \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); "
                    + "run `chmod 600 \(path)` first."
            )
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 4096 else {
            throw OutpostError(.invalidInput, "Cannot read the token file \(path), or it is over 4 KiB.")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
