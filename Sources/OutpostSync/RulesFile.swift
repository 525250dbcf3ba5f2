import Foundation
public import OutpostCore
public import OutpostMerge

/// The node's conflict rules, `HOME/rules.json` (the format of `RulesConfiguration`).
///
/// With no file the shipped defaults are in force. A file is only ever replaced whole, after it
/// has been validated: the new text goes to a temporary file in the same folder, is flushed to
/// disk, then renamed over the old one, so a reader sees the old rules or the new, never half.
public struct RulesFile: Sendable {
    /// Rules files larger than this are refused (1 MiB; a real one is a few kilobytes).
    public static let maximumSize = 1 << 20

    /// The rules in force and where they come from.
    public struct Loaded: Sendable {
        public var configuration: RulesConfiguration
        /// `false` when there is no rules file and the shipped defaults are in force.
        public var fromFile: Bool
    }

    public let path: String

    public init(home: String) {
        path = home + "/rules.json"
    }

    /// The rules in force: the file's, or the shipped defaults when there is no file.
    ///
    /// - Throws: ``OutpostError`` naming the file, with the line and column (`invalid_json`) or
    ///   the path of the bad member (`invalid_input`), when the file is broken.
    public func load() throws(OutpostError) -> Loaded {
        guard FileManager.default.fileExists(atPath: path) else {
            return Loaded(configuration: .defaults, fromFile: false)
        }
        let text = try Self.read(path)
        do {
            return Loaded(configuration: try RulesConfiguration(parsing: text), fromFile: true)
        } catch {
            throw OutpostError(
                error.code,
                "\(path): \(error.message)",
                details: error.details,
                remedy: .replaceRules
            )
        }
    }

    /// Reads a rules file's text, refusing one that is too large or not UTF-8.
    public static func read(_ path: String) throws(OutpostError) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maximumSize {
            throw OutpostError(
                .invalidInput,
                "The rules file \(path) is \(size) bytes; at most \(maximumSize) are allowed. Nothing was changed."
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OutpostError(.invalidInput, "Cannot read the rules file \(path): no such readable file.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw OutpostError(.invalidInput, "The rules file \(path) is not UTF-8 text. Nothing was changed.")
        }
        return text
    }

    /// Replaces the file with `text`, which the caller has validated (``AtomicFile``).
    ///
    /// - Throws: ``OutpostError`` `.storage` when the folder cannot be written; the old file (or
    ///   the defaults) then stays in force.
    public func replace(with text: String) throws(OutpostError) {
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
        } catch {
            throw OutpostError(
                .storage,
                "Cannot write the rules file \(path) (\(error.message)) The previous rules stay in force.",
                cause: error
            )
        }
    }
}
