import Foundation
import OutpostCore
import OutpostStore
import OutpostWorkspace

extension NodeOptions {
    /// The node's workspace, committing as `author` (`Name` or `Name <email>`; default $USER).
    func openWorkspace(author: String? = nil) throws(OutpostError) -> Workspace {
        try Workspace.open(store: openStore(), identity: Git.Identity(parsing: author ?? Store.defaultResolverName))
    }

    /// The command git runs to merge a definition file of this node's workspace: this very
    /// executable, with this node's home, so a merge started by plain `git merge` finds the rules
    /// and the conflict queue too.
    var mergeDriverCommand: [String] {
        [Self.executablePath, "workspace", "merge-driver", "--home", homePath]
    }

    /// The absolute path of the running `outpost`.
    static var executablePath: String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return Bundle.main.executablePath ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}
