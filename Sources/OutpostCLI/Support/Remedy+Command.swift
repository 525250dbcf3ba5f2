import OutpostCore
import OutpostSync

extension OutpostError.Remedy {
    /// What to do about `error`, naming the `outpost` commands and flags to use. Libraries
    /// state what failed and, as a ``OutpostError/Remedy``, what can be done; the wording with
    /// commands belongs to the executable, which knows them.
    static func sentence(for error: any Error) -> String? {
        if let remedy = (error as? OutpostError)?.remedy { return remedy.sentence }
        guard let failure = (error as? SyncFailure) ?? ((error as? OutpostError)?.cause as? SyncFailure) else {
            return nil
        }
        switch failure.code {
        case .unauthorized where failure.hubCode == "client_certificate_required":
            return "Set the node's client certificate and key with "
                + "`outpost remote set URL --token-file FILE --client-cert F --client-key F`."
        case .unauthorized:
            return "Get a new token with `outpost hub node add` on the hub and set it with "
                + "`outpost remote set URL --token-file FILE`."
        case .badAnswer:
            return "Check the hub's URL with `outpost remote show`."
        case .store:
            return failure.cause?.remedy?.sentence
        default:
            return nil
        }
    }

    /// The remedy as one sentence for a person at a terminal.
    var sentence: String {
        switch self {
        case .createNode(let home):
            "Run `outpost init --home \(home)` first, or pass the right --home."
        case .restoreOrRecreateStore:
            "Restore it from a backup, or move it away and run `outpost init` to start a new node."
        case .list(let listing):
            listing.sentence
        case .showConflict(let id):
            "See it with `outpost conflicts show \(id)`."
        case .resolveConflict(let id):
            "Resolve it with `outpost conflicts resolve \(id) --keep local|remote|merged`."
        case .resolveWorkspaceFile(let id):
            "Resolve it with `outpost conflicts resolve \(id) --keep …` or `outpost workspace resolve \(id)`, "
                + "which write the file."
        case .retry(let expectedVersion):
            "Read it again (`outpost conflicts list` shows what changed) and retry with "
                + "--expected-version \(expectedVersion)."
        case .retryFailedChanges:
            "Send them again with `outpost queue retry ID…` (or --all)."
        case .replaceRules:
            "Fix the file, or replace it with `outpost rules set --file FILE`."
        case .setRemote:
            "Run `outpost remote set URL --token-file FILE` (the token comes from `outpost hub node add` on the hub)."
        case .registerNode:
            "Use the token `outpost hub node add` printed on the hub."
        case .freeDiskSpace:
            "Free space, or remove file content nothing uses with `outpost files gc`."
        case .syncWithHub:
            "Run `outpost sync` to fetch it from the hub."
        case .fetchFile(let name):
            "Fetch it with `outpost files fetch \(name)` (the hub must be reachable); `outpost files get` does that by itself."
        case .restoreFile(let name):
            "Restore it first with `outpost files restore \(name)`."
        case .commitWorkspace(let orForce):
            "Commit them first with `outpost workspace commit -m MESSAGE`" + (orForce ? ", or pass --force." : ".")
        case .createWorkspace:
            "Create it with `outpost workspace init [--dir DIR] [--remote URL]`."
        case .setWorkspaceRemote:
            "Set one with `outpost workspace init --remote URL`."
        case .syncWorkspace:
            "Run `outpost workspace sync` again."
        case .finishWorkspaceMerge(let thenSync):
            "See them with `outpost workspace status`, resolve each with `outpost conflicts resolve ID --keep …`, "
                + "then run `outpost workspace commit -m MESSAGE`" + (thenSync ? " and `outpost workspace sync`." : ".")
        case .replaceLinkWithExport:
            "Remove the link, then run `outpost workspace export` to write a real folder."
        case .createTenant(let name):
            "Create it with `outpost hub tenant add \(name)`."
        case .nameRelayTenant:
            "Name the one to relay with `outpost hub serve --upstream URL --upstream-tenant NAME`."
        }
    }
}

extension OutpostError.Listing {
    /// Where to look it up, as a sentence.
    var sentence: String {
        switch self {
        case .agents: "List them with `outpost agent list`."
        case .workflows(let agent?): "List them with `outpost workflow list --agent \(agent)`."
        case .workflows(nil): "List them with `outpost workflow list`."
        case .executions: "List them with `outpost execution list`."
        case .conflicts: "List them with `outpost conflicts list --status all`."
        case .failedChanges: "List them with `outpost queue list --status failed`."
        case .files: "List files with `outpost files ls` (--trash for the trash)."
        case .workspaceCommits: "List them with `outpost workspace log`."
        case .hubNodes: "List nodes with `outpost hub node list`."
        case .relayHeld: "List them with `outpost hub relay held`."
        }
    }
}
