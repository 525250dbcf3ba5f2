extension OutpostError {
    /// What a person can do about a failure, as an action rather than a sentence.
    ///
    /// A library states what failed and why; only the program in front of the person knows
    /// its own commands and flags, so it words the remedy (the `outpost` CLI names the command
    /// to run; an app embedding the libraries can offer a button instead).
    public enum Remedy: Hashable, Sendable {
        /// Create the node's home at this path first, or point at the right one.
        case createNode(home: String)
        /// The store file is damaged: restore it from a backup, or move it away and start over.
        case restoreOrRecreateStore
        /// Look up what exists, to find the right name or id.
        case list(Listing)
        /// Look at a conflict's record.
        case showConflict(id: Int64)
        /// Resolve a parked row conflict.
        case resolveConflict(id: Int64)
        /// Resolve a definition file a git merge left conflicted (a tool that writes the file).
        case resolveWorkspaceFile(id: Int64)
        /// Read the record again and retry, expecting this version.
        case retry(expectedVersion: Int)
        /// Send the changes parked as failed again.
        case retryFailedChanges
        /// Replace the node's rules file with a valid one.
        case replaceRules
        /// Set the node's hub (URL and token).
        case setRemote
        /// Register the node on the hub, which gives it a token.
        case registerNode
        /// Make room on the disk, for instance by removing file content nothing uses.
        case freeDiskSpace
        /// Sync with the hub, which fetches missing or damaged file content again.
        case syncWithHub
        /// Fetch this file's content from the hub now (it is kept there only).
        case fetchFile(name: String)
        /// Take this file out of the trash first.
        case restoreFile(name: String)
        /// Commit the workspace's changes first, or discard them deliberately.
        case commitWorkspace(orForce: Bool)
        /// Create the node's workspace.
        case createWorkspace
        /// Give the workspace a git remote.
        case setWorkspaceRemote
        /// Run the workspace's sync again.
        case syncWorkspace
        /// Resolve the files a merge left conflicted, commit, and optionally sync again.
        case finishWorkspaceMerge(thenSync: Bool)
        /// Remove a symbolic link and write the workspace out again as real folders.
        case replaceLinkWithExport
        /// Create the hub tenant with this name.
        case createTenant(name: String)
        /// Name the tenant a site hub relays (it has several).
        case nameRelayTenant
    }

    /// A kind of thing a person can list.
    public enum Listing: Hashable, Sendable {
        case agents
        /// Workflows, of one agent when one is named.
        case workflows(agent: String?)
        case executions
        case conflicts
        case failedChanges
        case files
        case workspaceCommits
        case hubNodes
        /// What a site hub's relay holds for a person.
        case relayHeld
    }
}
