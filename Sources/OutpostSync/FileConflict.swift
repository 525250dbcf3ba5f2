import OutpostBlobs
import OutpostCore
import OutpostProtocol

/// Two nodes put different content under one file name since the version both started from.
/// Field merging cannot join two files' chunk lists, so the newer content (by hybrid stamp, the
/// same order on every node) keeps the name and the other is kept beside it under a conflict
/// copy's name (``FileName/conflictCopy(of:hash:)``): nothing is silently lost.
package struct FileConflict: Equatable {
    enum Winner: Equatable { case local, remote }

    var winner: Winner
    /// The losing side's row, to be stored as ``copyName``.
    var copy: JSONValue
    var copyName: String

    /// The content columns, which move together.
    static let contentColumns = ["size", "hash", "chunks"]

    /// The conflict copy to make, or nil when the two sides did not both change the content
    /// (then the rows merge field by field as usual: one side's content with the other's
    /// priority, say).
    static func decide(
        name: String,
        local: JSONValue?,
        remote: JSONValue?,
        base: JSONValue?,
        localStamp: HybridTimestamp,
        remoteStamp: HybridTimestamp
    ) -> FileConflict? {
        guard let local, let remote, local["hash"] != remote["hash"] else { return nil }
        func changed(_ side: JSONValue) -> Bool {
            guard let base else { return true }
            return contentColumns.contains { side[$0] != base[$0] }
        }
        guard changed(local), changed(remote) else { return nil }
        let localWins = localStamp > remoteStamp
        let loser = localWins ? remote : local
        let copyName = FileName.conflictCopy(of: name, hash: loser["hash"]?.stringValue ?? "")
        return FileConflict(winner: localWins ? .local : .remote, copy: loser, copyName: copyName)
    }
}
