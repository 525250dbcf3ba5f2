import Foundation
import OutpostCore

/// The file operations the workspace needs, with failures as ``OutpostError``s that name the path.
enum FileSystem {
    static func createDirectory(_ path: String) throws(OutpostError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OutpostError(
                .storage,
                "Cannot create the folder \(path): \((error as NSError).localizedDescription)."
            )
        }
    }

    /// Writes `text` to `path` through a temporary file and a rename, so a reader (or a crash)
    /// sees the old file or the new one, never half of one.
    static func write(_ text: String, to path: String) throws(OutpostError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw OutpostError(
                .storage,
                "Cannot write \(path): \((error as NSError).localizedDescription). Check that the folder is writable and not full."
            )
        }
    }

    static func remove(_ path: String) throws(OutpostError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw OutpostError(.storage, "Cannot remove \(path): \((error as NSError).localizedDescription).")
        }
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}
