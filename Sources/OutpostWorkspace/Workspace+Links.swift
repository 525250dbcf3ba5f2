import Foundation
import OutpostCore

/// The workspace never follows a symbolic link: one that arrives through git (`agents ->
/// /some/dir`, `configs/x.json -> /root/secret`) would make export write and delete files
/// outside the workspace, or copy a private file into the store. Links in a revision are
/// refused before it is merged or checked out, and the item folders are checked before use.
extension Workspace {
    /// Refuses `revision` when its tree holds a symbolic link anywhere.
    func refuseLinks(in revision: String, doing action: String) throws(OutpostError) {
        let entries = try git.run(["ls-tree", "-r", "-z", revision]).stdout.split(separator: 0)
        let links = entries.compactMap { entry -> String? in
            let text = String(decoding: entry, as: UTF8.self)
            guard text.hasPrefix("120000 "), let tab = text.firstIndex(of: "\t") else { return nil }
            return String(text[text.index(after: tab)...])
        }
        guard links.isEmpty else {
            let shown = links.prefix(3).map { "'\(Self.printable($0))'" }.joined(separator: ", ")
            throw OutpostError(
                .failedPrecondition,
                "Refusing to \(action) \(revision): it holds \(links.count) symbolic link(s) (\(shown)), and the "
                    + "workspace never follows links that arrive through git (one could make it write or read "
                    + "outside the workspace). Remove them from the repository (`git rm`) and try again.",
                details: ["links": "\(links.count)"]
            )
        }
    }

    /// Refuses to work when an item folder (or the workspace itself) has been replaced by a
    /// symbolic link on this machine.
    func requireRealFolders() throws(OutpostError) {
        for path in [directory] + ItemKind.allCases.map({ directory + "/" + $0.folder }) {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFLNK, path != directory {
                throw OutpostError(
                    .failedPrecondition,
                    "\(Self.printable(path)) is a symbolic link; the workspace never follows one.",
                    remedy: .replaceLinkWithExport
                )
            }
        }
    }

    /// A path with control characters escaped, safe to print to a terminal.
    static func printable(_ path: String) -> String {
        String(
            path.unicodeScalars.flatMap { scalar -> [Character] in
                scalar.value < 0x20 || scalar.value == 0x7F
                    ? Array("\\u{\(String(scalar.value, radix: 16))}") : [Character(scalar)]
            }
        )
    }
}
