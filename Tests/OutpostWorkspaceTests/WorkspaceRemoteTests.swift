import Testing

@testable import OutpostWorkspace

/// Which remotes `workspace init` checks on this machine, and which it leaves to the network.
@Suite("Workspace remotes")
struct WorkspaceRemoteTests {
    @Test(
        "paths and file:// URLs are local; scheme URLs and scp-like host:path are not",
        arguments: [
            ("/srv/git/definitions.git", true), ("definitions.git", true), ("./shared/defs.git", true),
            ("file:///srv/git/defs.git", true), ("./odd:name.git", true),
            ("https://git.example.org/fleet/defs.git", false), ("ssh://git@example.org/defs.git", false),
            ("git@example.org:fleet/defs.git", false), ("example.org:defs.git", false),
        ]
    )
    func locality(remote: String, local: Bool) {
        #expect(Workspace.isLocalPath(remote) == local, "\(remote)")
    }
}
