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
            return try SecretFile.read(file, what: "token file")
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
        return try SecretFile.trimmed(text, what: "token")
    }
}
